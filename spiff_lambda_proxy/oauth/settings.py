"""Settings of OAuth sign-ins (documented in `..settings.SETTINGS`, with the others)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

from ..settings import env_list, read_once
from .pages import FlowError
from .redirects import Origin, parse_origins

REDIRECT_ORIGINS = "CONNECTOR_PROXY_AUTH_REDIRECT_ORIGINS"
# SpiffArena's backend, as background runs know it: the same place sign-ins return to.
CALLBACK_ORIGINS = "SPIFFARENA_CALLBACK_ORIGINS"
STATE_SECRET = "CONNECTOR_PROXY_AUTH_STATE_SECRET"  # noqa: S105 - its name
PUBLIC_URL = "CONNECTOR_PROXY_PUBLIC_URL"
HOST_NAMES = "CONNECTOR_PROXY_HOST_NAMES"


class AuthSettings(NamedTuple):
    redirect_origins: tuple[Origin, ...]
    # Which setting the origins came from, for messages.
    origins_setting: str
    state_secret: str | None
    public_url: str | None

    @classmethod
    def current(cls) -> AuthSettings:
        return read_once(cls, cls.from_environ)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> AuthSettings:
        env = os.environ if environ is None else environ
        setting = REDIRECT_ORIGINS if env_list(env.get(REDIRECT_ORIGINS)) else CALLBACK_ORIGINS
        return cls(
            redirect_origins=parse_origins(env_list(env.get(setting)), setting),
            origins_setting=setting,
            state_secret=env.get(STATE_SECRET, "").strip() or None,
            public_url=env.get(PUBLIC_URL, "").strip() or None,
        )

    def allowed_origins(self) -> tuple[Origin, ...]:
        """The origins `redirect_url` may lead to; refuses the sign-in when none is configured."""
        if not self.redirect_origins:
            raise FlowError(
                500,
                "configuration_error",
                f"Sign-in through this proxy is not set up: set {REDIRECT_ORIGINS} on the function to "
                "SpiffArena's backend origin (e.g. https://spiff.example.com), so the proxy knows where "
                "it may send the browser back with the token.",
            )
        return self.redirect_origins
