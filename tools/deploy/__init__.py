"""`make deploy`: build the Lambda zip, then put it on AWS.

Two ways, by what exists already:

- `make deploy` deploys `template.yaml` with the AWS SAM CLI. The first run writes
  samconfig.toml (how to deploy: stack, bucket, capabilities; tools/sam/config.py) and,
  with a terminal, is guided; every run then is `sam deploy` reading it. The template is
  deployed through a copy in build/sam/ whose runtime, architecture and code are the zip
  just built, byte for byte (tools/sam/template.py). Afterwards the stack's outputs say
  what to set in SpiffArena (tools/sam/outputs.py).
- `make deploy FUNCTION=name` replaces the code of an existing function with the
  AWS CLI (`update-function-code`), after checking that the function's runtime and
  architecture are the ones the zip was built for. `ALIAS=live` also publishes a
  version and moves that alias to it (functions created by template.yaml serve
  their URL through the alias `live`).

`sam` and `aws` come from .venv-tools/bin (TOOLS_VENV; `make tools` installs the pinned
SAM CLI and AWS CLI there) when they are there, else from PATH. `DRY_RUN=1` prints the
commands, one per line, without running any of them.
"""
