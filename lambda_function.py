"""AWS Lambda entry point: handler `lambda_function.lambda_handler`.

Connector discovery runs here, at import, so it happens once per execution
environment, during Lambda's init phase (which runs on a boosted CPU and, with
SnapStart, is captured in the snapshot) instead of inside the first request.
"""

import os
import sys
from typing import Any

_here = os.path.dirname(os.path.abspath(__file__))
# In a checkout our own connectors live in connectors/ and our connector SDK in sdk/
# (last on the path, so an SDK installed in the venv wins, as connectors.txt's does in
# the archive); the zip puts what it needs at its root, so there is nothing to add there.
for _folder in ("connectors", "sdk"):
    _path = os.path.join(_here, _folder)
    if os.path.isdir(_path) and _path not in sys.path:
        sys.path.append(_path)

from spiff_lambda_proxy import snapstart  # noqa: E402
from spiff_lambda_proxy.budget import LambdaContext  # noqa: E402
from spiff_lambda_proxy.handler import handle  # noqa: E402
from spiff_lambda_proxy.registry import registry  # noqa: E402

registry()
# With SnapStart, runs hooks before the snapshot and after each restore (docs/deploy.md).
snapstart.register()


def lambda_handler(event: Any, context: LambdaContext | None) -> dict[str, Any]:
    return handle(event, context)
