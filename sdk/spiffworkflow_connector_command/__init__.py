"""The connector SDK: what SpiffArena connector commands subclass and return.

Everything lives in `command_interface`, the module connectors import.
"""
