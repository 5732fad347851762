"""Reporting: which channels pay.

`counters` keeps the report counters as events arrive (each fact once per lead);
`cells` (dimension values, duration buckets), `periods`, `costs` and `reports` read
them back; `listing` pages through the leads (cursors), `views` is what the leads API
shows of a lead, `export` the CSV."""
