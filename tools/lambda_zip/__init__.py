"""The pieces of `make zip`: one module per step, `tools/build_zip.py` runs them in order.

target    which Lambda runtime we build for (wheel tags, glibc, the Python to compile with)
vendor    pip puts the runtime dependencies and connectors.txt for that target into the staging
          directory, helped by:
  requirements   reading requirement lines (connectors.txt, wheels' Requires-Dist)
  fetch          wheels of folder/git/URL entries, URL dependencies, pure sdists, our SDK (sdk/)
  plan           the rules: which SDK, URL dependencies met by name, substitutions, undeclared imports
  substitutions  the table of Lambda substitutions (psycopg2 -> psycopg2-binary)
  wheels         reading and rewriting wheel metadata, finding what code imports
  pip            running pip, and explaining its failures (package, why, what to do)
  installed      tidying and listing what pip installed, leaving out zip-exclude.txt
typeahead the typeahead lists: a team's typeahead/ files checked first, the built-in ones (geodata:
          the pinned data package), packed into typeahead-data/
sources   the project's own code and connectors/ copied next to them, refusing name collisions
bytecode  __pycache__ compiled by the target Python, reproducibly
platform_check  finds anything in the staging directory built for another platform
archive   the deterministic zip
summary   sizes against Lambda's limits, largest packages, the rules applied, the commands offered
"""

import sys

# The oldest Python that runs `make zip` (README, "Quick start"); tests/build builds with it.
OLDEST_PYTHON = (3, 9)
if sys.version_info < OLDEST_PYTHON:  # a clear message on old machines beats a SyntaxError later
    oldest = ".".join(map(str, OLDEST_PYTHON))
    sys.exit(f"make zip: error: it needs Python {oldest} or newer; set PYTHON=python3.x.")


class BuildError(Exception):
    """A build failure whose message tells the user what to do; printed without a traceback."""
