"""SpiffArena's HTTP connector: GET/POST/PUT/PATCH/DELETE/HEAD service tasks.

The command names and arguments are those of the public connector-http package,
so BPMN diagrams written against it keep working. Importing this package (and
its `commands`) costs nothing: `requests` and `xmltodict` load on first use.
"""

__version__ = "1.0.0"


def _close_connections() -> None:
    """Close the shared session's connections, if a command ever opened them."""
    import sys

    transport = sys.modules.get("spiff_outbound.transport")  # never imported here: it loads requests
    if transport is not None:
        transport.close_session()


def _prepare_snapshot() -> None:
    """Load the HTTP stack into the snapshot, without a single connection open.

    A cold start without SnapStart loads requests on the first http call, so listing
    commands stays fast; with SnapStart it costs nothing to have it loaded already,
    and every restored copy saves ~50 ms on its first call (docs/benchmarks.md).
    """
    import importlib

    importlib.import_module(f"{__name__}.fetch")
    _close_connections()


# AWS Lambda SnapStart (the runtime provides this module): no socket may outlive the snapshot,
# since every restored copy would share it. Without SnapStart these hooks never run.
try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:
    pass
else:
    register_before_snapshot(_prepare_snapshot)
    register_after_restore(_close_connections)
