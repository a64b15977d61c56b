"""SpiffArena's HTTP connector: GET/POST/PUT/PATCH/DELETE/HEAD service tasks.

The command names and arguments are those of the public connector-http package,
so BPMN diagrams written against it keep working. Importing this package (and
its `commands`) costs nothing: `requests` and `xmltodict` load on first use.
"""

__version__ = "1.0.0"
