"""`python -m tools.deploy`: what `make deploy` runs."""

import sys

from tools.deploy.cli import main

sys.exit(main())
