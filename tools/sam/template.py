"""The copy of template.yaml that `make deploy` hands to `sam deploy`.

Two changes, made on the text (the build needs nothing beyond the standard library, so no YAML
parser): the function's runtime, architecture and code become those of the zip just built, and for
a guided run the plain-text (NoEcho) parameters are left out, because SAM's guided prompts ask for a
NoEcho parameter without offering its default and ask again, forever, when the answer is empty.
Each change checks that it found what it expects, so an edit of template.yaml cannot slip past it.
"""

from __future__ import annotations

import re
from pathlib import Path

from tools.lambda_zip.target import Runtime

# What template.yaml says, for `make zip`'s default build; replaced together for other builds.
TEMPLATE_DEFAULTS = Runtime("3.13", "x86_64")
CODE_URI = "CodeUri: tools/sam/unbuilt"


class TemplateError(Exception):
    """template.yaml no longer looks the way this module expects."""


def deploy_copy(text: str, runtime: Runtime, archive: Path, *, guided: bool) -> str:
    """template.yaml for `sam deploy` of this build; without NoEcho parameters when guided."""
    text = _replace_once(
        text,
        {
            CODE_URI: f"CodeUri: {archive}",
            f"Runtime: {TEMPLATE_DEFAULTS.name}": f"Runtime: {runtime.name}",
            f"Architectures: [{TEMPLATE_DEFAULTS.arch}]": f"Architectures: [{runtime.arch}]",
        },
    )
    return without_parameters(text, no_echo_parameters(text)) if guided else text


def no_echo_parameters(text: str) -> list[str]:
    names = []
    for name, block in _parameter_blocks(text).items():
        if re.search(r"^\s+NoEcho:\s*true\s*$", block, re.M):
            names.append(name)
    return names


def without_parameters(text: str, names: list[str]) -> str:
    """The template with these parameters gone: each `!Ref` to one becomes its empty value."""
    blocks = _parameter_blocks(text)
    for name in names:
        block = blocks[name]
        if not re.search(r'^\s+Default:\s*""\s*$', block, re.M):
            raise TemplateError(f"parameter {name} has no empty default; it cannot simply be left out.")
        text = text.replace(block, "", 1)
        text = re.sub(rf"!Ref {name}\b", '""', text)
        # Its line in the console's parameter groups (Metadata: AWS::CloudFormation::Interface).
        text = re.sub(rf"^\s+- {name}\n", "", text, flags=re.M)
        text = re.sub(rf"(?<=[\[ ]){name}, |, {name}(?=\])", "", text)
        if re.search(rf"(!Ref |Ref: |\$\{{){name}\b|^\s+- {name}\s*$|[\[,] ?{name}[,\]]", text, re.M):
            raise TemplateError(f"template.yaml still refers to {name} once left out; update {__name__}.")
    return text


def _parameter_blocks(text: str) -> dict[str, str]:
    """Parameter name -> its lines, in the top-level `Parameters:` section."""
    section = re.search(r"^Parameters:\n(.*?)(?=^\S)", text, re.M | re.S)
    if section is None:
        raise TemplateError("template.yaml has no top-level Parameters section.")
    return {
        match.group(1): match.group(0)
        for match in re.finditer(r"^  (\w+):\n(?:    .*\n|\s*\n)*", section.group(1), re.M)
    }


def _replace_once(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        if text.count(old) != 1:
            raise TemplateError(f"template.yaml no longer has exactly one line '{old}'; update {__name__}.")
        text = text.replace(old, new)
    return text
