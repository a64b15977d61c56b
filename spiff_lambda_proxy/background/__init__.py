"""Background runs of long-running service tasks: 202 now, the command elsewhere, then the callback.

`start` decides and hands the work over in a signed `event`; `worker` runs it in
its own invocation, `result` shapes what SpiffArena will store and `callback`
delivers it; `callback_url` says where results may go; `settings` holds what the
deployment configures. Kept empty: the handler imports `event` on every request
to recognise run events, and nothing else of the feature should load then.
"""
