"""samconfig.toml: created by the first `make deploy`, then read and rewritten by SAM as it does itself.

SAM accepts a `--config-file` other than its default name only when the file exists, and keeps it next
to the template it deploys (build/sam/ for `make deploy`'s copy), so `make deploy` writes the project's
samconfig.toml before SAM's first run and passes its absolute path. The file holds how to deploy
(stack, bucket, capabilities), never the template's parameters: those are the template's secure
defaults until a guided run or the user sets `parameter_overrides`.
"""

from __future__ import annotations

import re
from pathlib import Path

FIRST_RUN = """\
# Written by `make deploy` on its first run; SAM reads it on every `make deploy` and a guided run
# (make deploy GUIDED=1) rewrites it. Template parameters go in parameter_overrides, in SAM's format:
# parameter_overrides = "ApiKeySecret=\\"arn:...\\" S3Bucket=\\"reports-*\\"". Parameters not named keep the
# stack's current values (the template's defaults on a new stack). See docs/deploy.md.
version = 0.1

[default.deploy.parameters]
stack_name = "{stack}"
resolve_s3 = true
s3_prefix = "{stack}"
capabilities = "CAPABILITY_IAM"
confirm_changeset = false
"""
# The sections SAM reads for `sam deploy` in the default environment, most specific first.
_SECTIONS = ("default.deploy.parameters", "default.global.parameters")


def ensure(path: Path, stack: str) -> bool:
    """Write the first-run samconfig.toml unless there is one; True if it was written now."""
    if path.exists():
        return False
    path.write_text(FIRST_RUN.format(stack=stack))
    return True


def setting(path: Path, key: str) -> str | None:
    """A string setting of `sam deploy` in samconfig.toml (as SAM writes it), or None."""
    if not path.exists():
        return None
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in path.read_text().splitlines():
        header = re.fullmatch(r"\s*\[([^\]]+)\]\s*", line)
        if header:
            current = sections.setdefault(header.group(1).strip(), {})
            continue
        pair = re.fullmatch(r'\s*([A-Za-z_]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(#.*)?', line)
        if pair:
            current[pair.group(1)] = pair.group(2)
    for name in _SECTIONS:
        if key in sections.get(name, {}):
            return sections[name][key]
    return None
