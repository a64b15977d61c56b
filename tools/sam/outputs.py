"""After `sam deploy`: the stack's outputs turned into what to do next, like SAM's own "next steps".

The facts come from CloudFormation's outputs (template.yaml), not from the parameters make deploy
passed: the template has already decided whether a key is generated, stored elsewhere or missing.
Secrets are never printed, only how to read them.
"""

from __future__ import annotations

import json
from typing import NamedTuple

URL_SETTING = "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL"
KEY_SETTING = "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_API_KEY"
# For forms' typeahead fields; SpiffArena sends the key there only as the URL's password.
TYPEAHEAD_SETTING = "SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_TYPEAHEAD_URL"


class OutputsError(Exception):
    pass


class NextSteps(NamedTuple):
    lines: list[str]
    warnings: list[str]


def parse(text: str) -> dict[str, str]:
    """`sam list stack-outputs --output json` -> {OutputKey: OutputValue}."""
    try:
        listed = json.loads(text)
        return {str(item["OutputKey"]): str(item["OutputValue"]) for item in listed}
    except (ValueError, TypeError, KeyError) as error:
        raise OutputsError(f"could not read the stack's outputs ({error}): {text[:200]!r}") from None


def next_steps(outputs: dict[str, str], stack: str) -> NextSteps:
    url = outputs.get("SpiffArenaConnectorProxyUrl")
    if not url:
        raise OutputsError(
            f"stack {stack} has no SpiffArenaConnectorProxyUrl output; is it a stack of this template.yaml?"
        )
    lines = [
        f"Deployed stack {stack}. Set these in SpiffArena's backend environment, then restart the backend:",
        f"  {URL_SETTING}={url}",
    ]
    key = outputs.get("SpiffArenaConnectorProxyApiKey")
    if key:
        lines.append(f"  {KEY_SETTING}=<{key}>")
    scheme, _, rest = url.partition("://")
    typeahead_url = f"{scheme}://spiff:<the same key>@{rest}" if key else url
    lines.append(f"  {TYPEAHEAD_SETTING}={typeahead_url}   (typeahead fields; docs/typeahead.md)")
    lines.append(f"Function URL: {outputs.get('FunctionUrl', url)}")
    if "DashboardUrl" in outputs:
        lines.append(f"Dashboard:    {outputs['DashboardUrl']}")
    lines.append(f"Logs:         sam logs --stack-name {stack} --tail")
    lines.append(
        f'Try it:       curl -H "Spiff-Connector-Proxy-Api-Key: $KEY" {url}/v1/commands'
        if key
        else f"Try it:       curl {url}/v1/commands"
    )
    warnings = [outputs["Warning"]] if outputs.get("Warning") else []
    return NextSteps(lines, warnings)
