"""The pieces of `make zip`: one module per step, `tools/build_zip.py` runs them in order.

target    which Lambda runtime we build for (wheel tags, glibc, the Python to compile with)
vendor    pip puts the runtime dependencies for that target into the staging directory
sources   the project's own code and connectors/ copied next to them
bytecode  __pycache__ compiled by the target Python, reproducibly
platform_check  finds anything in the staging directory built for another platform
archive   the deterministic zip
summary   sizes against Lambda's limits, largest packages, the commands the archive offers
"""


class BuildError(Exception):
    """A build failure whose message tells the user what to do; printed without a traceback."""
