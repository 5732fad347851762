"""The storage kernel: every item's keys (`keys`), items in wire format (`codec`),
transactions and their cancellation reasons (`transactions`), and the table as the
parts' stores use it (`table`)."""
