"""Outbound HTTP under the deployment's destination policy, shared by the proxy and its connectors.

A URL the proxy calls is data a caller controls: a service task's URL (the http
connector), SpiffArena's callback URL (background runs), an OAuth provider's
token endpoint. `destinations` decides which addresses may be reached (judged
by where a connection really goes, `addresses`), `transport` connects only to
addresses it checked, `deadlines` shuts a run's sockets when its time is up,
and `exchange.send` is one guarded request with a total deadline.
Importing this package costs nothing; `transport` loads requests on first use.
"""
