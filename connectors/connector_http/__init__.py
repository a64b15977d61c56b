"""SpiffArena's HTTP connector: GET/POST/PUT/PATCH/DELETE/HEAD service tasks.

The command names and arguments are those of the public connector-http package,
so BPMN diagrams written against it keep working. Importing this package (and
its `commands`) costs nothing: `requests` and `xmltodict` load on first use.
"""

__version__ = "1.0.0"


def _close_connections() -> None:
    """Close the shared session's connections, if a command ever opened them."""
    import sys

    transport = sys.modules.get(f"{__name__}.transport")  # never imported here: it loads requests
    if transport is not None:
        transport.close_session()


# AWS Lambda SnapStart (the runtime provides this module): no socket may outlive the snapshot,
# since every restored copy would share it. Without SnapStart these hooks never run.
try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:
    pass
else:
    register_before_snapshot(_close_connections)
    register_after_restore(_close_connections)
