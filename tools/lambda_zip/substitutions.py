"""Lambda substitutions: distributions connectors ask for that cannot go into a Lambda archive
as they are, each with the one that replaces it. Adding the next is one line here.
"""

from __future__ import annotations

from typing import NamedTuple


class Substitution(NamedTuple):
    replacement: str  # the distribution installed instead (for the target platform)
    module: str  # the top-level module both provide; a connector importing it needs one
    reason: str


SUBSTITUTIONS: dict[str, Substitution] = {
    "psycopg2": Substitution(
        "psycopg2-binary",
        "psycopg2",
        "psycopg2 publishes only source code; psycopg2-binary is the same module, built for Linux",
    ),
}

# Modules that connectors import without declaring the distribution that provides them (they
# were written for a host that had it), and the distribution the build adds when nothing else in
# the archive provides them. Substituted modules are added by their replacement.
UNDECLARED_IMPORTS: dict[str, str] = {
    **{substitution.module: substitution.replacement for substitution in SUBSTITUTIONS.values()},
    # Connectors written for the Flask host read settings through flask.current_app.
    "flask": "flask",
}
