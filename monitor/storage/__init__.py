"""Storage: the tables, the engine, migrations, the audit trail, erasure and retention.

The bottom room: imports nothing of monitor but errors, clock, settings and config.
"""
