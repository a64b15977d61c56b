"""Typeahead lists for SpiffArena's forms (PROTOCOL.md section 11), loaded on the first lookup.

- `view`: the route, `GET /v1/typeahead/<category>?prefix=&limit=`, and who may read a list
- `query`: the request's parameters and their rules (the default and largest `limit`)
- `catalogue`: which categories there are and where each comes from (the archive, a checkout, S3)
- `s3`: a list read from S3 and kept for a while
- `settings`: the typeahead settings
- `matching`: when a name matches a prefix, and the order lists are kept in
- `packed`: the form a list is bundled in, and its lookup (a binary search over blocks of keys)
- `records`: a team's JSON or CSV file read and checked, record by record
- `folder`: which files of a folder are lists; `names`: what a category may be called

`records`, `packed`, `matching`, `folder` and `names` are `make zip`'s too, so they run on Python 3.9.
"""
