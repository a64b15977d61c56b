"""Build tools for the project (run from the project root, e.g. `python3 -m tools.build_zip`).

Nothing here ships in the Lambda archive.
"""
