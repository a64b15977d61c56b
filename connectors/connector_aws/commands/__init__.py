"""The aws commands, one class each; discovery lists every class defined in these modules.

Each command writes its arguments out in its own `__init__`, although several share them:
discovery describes a command from that signature (the ids BPMN files store).
"""
