"""The proxy's HTTP interface (PROTOCOL.md section 1), each route next to its view."""

from __future__ import annotations

import sys

from . import cors, logs, runner
from .background import start as background
from .budget import deadline
from .envelope import result_response
from .messages import Request, Response
from .router import Call, Router

router = Router()

_LIVENESS = b'{"ok":true}'


@router.route("/")
def index(request: Request, call: Call) -> Response:
    registry = call.registry
    names = ", ".join(plugin.display_name for plugin in registry.plugins) or "none"
    lines = [
        "SpiffWorkflow connector proxy (AWS Lambda).",
        "Point SpiffArena's SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_URL at this URL;",
        f"GET /v1/commands lists the {registry.command_count} commands it offers (connectors: {names}).",
    ]
    if registry.failures:
        # Module names and error types only: this page needs no API key.
        lines.append(f"{len(registry.failures)} connector module(s) failed to load:")
        lines += [f"  {failure.module} ({failure.error_type})" for failure in registry.failures]
        lines.append("Details: GET /v1/diagnostics, and the function's CloudWatch log.")
    return Response.text(200, "\n".join(lines) + "\n")


@router.route("/liveness")
@router.route("/v1/liveness")
def liveness(request: Request, call: Call) -> Response:
    return Response(200, _LIVENESS, content_type="application/json")


@router.route("/v1/commands", protected=True)
def commands(request: Request, call: Call) -> Response:
    return Response(200, call.registry.commands_json, content_type="application/json")


@router.route("/v1/auths", protected=True)
def auths(request: Request, call: Call) -> Response:
    return Response(200, call.registry.auths_json, content_type="application/json")


# OAuth sign-in (PROTOCOL.md section 9): browser navigations, so no API key. The flow's
# modules load on the first sign-in, never at cold start.
@router.route("/v1/auth/{plugin}/{auth}")
def auth_start(request: Request, call: Call) -> Response:
    from .oauth import flow

    return flow.start(request, call)


@router.route("/v1/auth/{plugin}/{auth}/callback")
def auth_callback(request: Request, call: Call) -> Response:
    from .oauth import flow

    return flow.callback(request, call)


# Typeahead lists for SpiffArena's forms (PROTOCOL.md section 11). Who may read a list depends on the
# list (a team's need the key, also as the Basic password), so the view checks; it loads on first use.
@router.route("/v1/typeahead/{category}")
def typeahead(request: Request, call: Call) -> Response:
    from .typeahead import view

    return view.answer(request, call)


@router.route("/v1/diagnostics", protected=True)
def diagnostics(request: Request, call: Call) -> Response:
    """What discovery found and what failed to load, with the errors' messages."""
    registry = call.registry
    return Response.json(
        200,
        {
            "python": "{}.{}.{}".format(*sys.version_info[:3]),
            "connectors": [
                {
                    "module": plugin.module,
                    "name": plugin.display_name,
                    "commands": [target.id for target in plugin.commands.values()],
                    "auths": [target.id for target in plugin.auths.values()],
                }
                for plugin in registry.plugins
            ],
            "failures": [failure._asdict() for failure in registry.failures],
        },
    )


@router.route("/v1/do/{plugin}/{command}", ("GET", "POST"), protected=True)
def do_command(request: Request, call: Call) -> Response:
    cors.check_command_caller(request, call.settings.cors_origins)
    invocation = runner.prepare(
        call.registry, call.path_params["plugin"], call.path_params["command"], request
    )
    if background.wanted(invocation):
        return background.start(invocation, call.lambda_context, call.settings, request.request_id)
    budget = deadline(call.lambda_context, request.source, call.settings.sync_timeout)
    outcome = runner.run(invocation, budget)
    logs.facts().note_result(outcome.result)
    return result_response(invocation.target.id, outcome.result, status=202 if outcome.accepted else 200)
