"""Where the project is, for tests that read its files or run its tools."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
