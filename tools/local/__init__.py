"""The Lambda handler on this machine: `make serve` and `python -m tools.local invoke EVENT.json`.

Not shipped in the archive. `server` answers HTTP as a Lambda Function URL would
(`function_url` translates), `runs` plays Lambda's asynchronous invocation for
background runs, `reload` restarts the server when code or connectors change,
`banner` says what is served, and `context` is the Lambda context object.
"""
