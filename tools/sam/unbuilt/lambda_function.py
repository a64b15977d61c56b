"""What `sam deploy` deploys when nobody built the proxy first: an answer that says so.

template.yaml's CodeUri is this directory so that `sam build` has a small source to start from
(the real build is `make build-ProxyFunction`, see the template). A `sam deploy` that skipped
`sam build` zips CodeUri as it is: this file, instead of the whole project.
"""

import json

MESSAGE = (
    "This function was deployed from template.yaml without building the proxy. "
    "Run `make deploy`, or `sam build` before `sam deploy` (docs/deploy.md)."
)
ERROR = {"error_code": "not_built", "message": MESSAGE}


def lambda_handler(event: object, context: object) -> dict[str, object]:
    print(MESSAGE)
    return {
        "statusCode": 503,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"command_response": {}, "error": ERROR}),
    }
