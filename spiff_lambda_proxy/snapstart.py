"""Lambda SnapStart: nothing that must be unique or fresh survives from the snapshot.

With SnapStart, Lambda runs the init phase once (discovery included, which is
the point), snapshots the memory, and starts every new execution environment
from a copy of it. Whatever the proxy held at that moment would be shared by all
of them: open connections (dead after a restore), AWS clients holding
credentials of the snapshotting environment, an API key read hours ago, and
`random`'s state, so every copy would draw the same "random" numbers (retry
jitter). The runtime's `snapshot_restore_py` module calls our hooks before the
snapshot and after each restore; elsewhere it does not exist and nothing happens.
Connector packages register their own hooks the same way (they must not import
this package).
"""

from __future__ import annotations

import sys

# Nothing else is imported here: the hooks load what they need, so a cold start without
# SnapStart pays only for the failed import of snapshot_restore_py.


def register() -> bool:
    """Register the hooks when the runtime offers them (Python 3.12+ managed runtimes); True if so."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True


def before_snapshot() -> None:
    # From a manifest, connectors load on first use; in the snapshot they cost restores nothing.
    from .registry import registry

    registry().load_all()
    _forget_connections()


def after_restore() -> None:
    _forget_connections()
    # Imported before the snapshot, `random` carries its state into every copy: reseed it from
    # os.urandom. Imported later, it seeds itself then.
    random = sys.modules.get("random")
    if random is not None:
        random.seed()


def _forget_connections() -> None:
    from . import aws, secret_store

    aws.forget()
    secret_store.forget()
