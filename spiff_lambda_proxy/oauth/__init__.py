"""OAuth 2 sign-in through the proxy (PROTOCOL.md section 9), without a session and without an open redirect.

A SpiffArena user signs in to a connector's provider (its `auths` class) through
`/v1/auth/<plugin>/<auth>`; the proxy sends the browser to the provider, takes
the code back on `.../callback`, exchanges it for a token and sends the browser
to SpiffArena's `redirect_url` with the token answer. Nothing is kept between
the two requests but what the browser carries, signed: the `state` and a
short-lived cookie. Imported only when an auth route is hit.

- `flow`: the two views, in the order the browser meets them
- `settings`: which origins SpiffArena may be at, the signing secret, the public URL
- `redirects`: `redirect_url` judged by its parsed origin; appending parameters to URLs
- `provider`: an auth class's `app_description(config)` read as an OAuth 2 client
- `signing`: signed, expiring tokens (the state and the cookie)
- `public_url`: our own callback URL, as the browser reaches it
- `exchange`: the code for a token at the provider, through the guarded transport
- `pages`: browser-facing answers: redirects and short text pages
"""
