"""Privacy: erasing a person found by email or phone (`erasure` decides what goes and
what stays, `service` does it lead by lead)."""
