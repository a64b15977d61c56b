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
