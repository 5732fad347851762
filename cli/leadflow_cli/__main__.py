"""`python -m leadflow_cli ...`: the `leadflow` command, where its script is not on PATH."""

from leadflow_cli.main import main

raise SystemExit(main())
