"""`python -m leadflow_local` (what `make dev` runs): the local stack over HTTP."""

import sys

from leadflow_local.server import main

if __name__ == "__main__":
    sys.exit(main())
