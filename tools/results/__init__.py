"""`make results`: what background results wait for SpiffArena, and an operator's hand on them.

Lists the kept results (run id, process instance, task, age, attempts, SpiffArena's last answer;
never a body), redelivers one or all of them now, or drops one. Works on `make serve`'s results
file and on a deployed stack's DynamoDB table and SQS queue (found from the stack's outputs, or
given). Not shipped in the archive.
"""
