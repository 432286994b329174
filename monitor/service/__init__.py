"""The background service: daemon, scale-out workers, metrics, status, logs, demo.

Sits on top of the stages and app; only cli and web are above it.
"""
