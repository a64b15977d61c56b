"""A SpiffArena connector proxy as one AWS Lambda function.

Kept empty on purpose: importing the package must cost nothing at cold start.
"""

__version__ = "0.1.0"
