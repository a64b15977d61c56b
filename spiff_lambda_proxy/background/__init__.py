"""Long-running service tasks: answer 202 now, run the command in another invocation, report by callback.

`start` hands the work over in a signed `event`; `worker` runs it in its own
invocation and `callback` delivers the result to SpiffArena; `settings` holds
what the deployment configures. Kept empty: the handler imports `event` on every
request to recognise task events, and nothing else of the feature should load then.
"""
