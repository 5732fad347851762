"""The `leadflow` command for operators (installed by `make install`; never shipped to
Lambda): `leadflow --stack NAME | --local COMMAND ...` (leadflow_cli.main), one module
per group of subcommands in leadflow_cli.commands. `python -m leadflow_cli.openapi`
writes openapi.json (`make openapi`)."""
