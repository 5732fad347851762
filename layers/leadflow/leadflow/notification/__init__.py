"""Notification: the emails Leadflow sends.

`manager_email` (the assigned manager's email, the speed-to-lead clock started),
`autoresponder` (the visitor's thank-you), `farewell` (a rejected lead's goodbye),
`hot_leads` (the optional SNS topic); `render` with `templates/` and `catalog` (the
wording per language) makes them, `mailer` sends them through SES."""
