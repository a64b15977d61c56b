"""`make bench`: cold start, warm overhead, archive size and connection reuse, measured.

Everything is measured on the archive `make zip` builds, unpacked into an empty
directory and run by the target Python the way Lambda runs /var/task. Results go
to the terminal and to docs/benchmarks.md; `python -m bench --help` lists the options.
"""
