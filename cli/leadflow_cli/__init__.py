"""Leadflow's commands for operators, run from a checkout with the layer on the path
(never shipped to Lambda): `python -m leadflow_cli.rules` (scoring rule-set
overrides), `python -m leadflow_cli.calibration` (do the rules predict who buys?),
`python -m leadflow_cli.openapi` (writes openapi.json, `make openapi`)."""
