"""AWS for SpiffArena service tasks: S3, DynamoDB, SQS and SNS with the host's own credentials.

Commands use boto3's default credential chain (on Lambda: the function's
execution role), so no access keys ever travel in BPMN parameters. boto3 is
imported on first use only: listing commands must stay cheap.
"""


def clear_caches() -> None:
    """Forget cached clients, table key schemas and queue URLs (tests; after changing accounts)."""
    from . import clients, dynamo, messaging

    clients.clear_clients()
    dynamo.clear_schemas()
    messaging.forget_queues()


# AWS Lambda SnapStart (the runtime provides this module): clients hold connections and the
# snapshotting environment's credentials, which restored copies must not share.
try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:
    pass
else:
    register_before_snapshot(clear_caches)
    register_after_restore(clear_caches)
