"""Deploying with the AWS SAM CLI: the template copy, samconfig.toml, SAM builds, stack outputs."""
