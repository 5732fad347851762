"""Leadflow's domain: forms in, scored and assigned leads out.

Everything here is plain Python plus pydantic; AWS access lives only in
`repository` (DynamoDB), `events` (EventBridge) and `mailer` (SES).
"""

SOURCE = "leadflow"  # EventBridge `source` of every event this project emits
