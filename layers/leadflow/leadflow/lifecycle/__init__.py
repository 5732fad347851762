"""Lifecycle: a lead's life after assignment.

`transitions` (where a lead may go), `service` (status changes, the rejection, notes,
conversion into a contact), `follow_up` (speed-to-lead reminders, escalation, a
postponed lead's return), `schedules` (the EventBridge Scheduler schedules behind
them), `links/` (the signed links in emails and the pages behind them), `requests`
(what the leads API asks of a lead)."""
