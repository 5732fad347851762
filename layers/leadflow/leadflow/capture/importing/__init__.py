"""Importing leads from a CSV file (trade-show scans, a partner's list) into a form:
`csv_file` reads the file and maps its header, `rows` checks each row as capture checks
a post, `service` runs the dry run and the job (chunks on a queue, each row through
capture's own store), `store` keeps the job in the table."""
