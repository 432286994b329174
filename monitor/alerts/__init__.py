"""Deliver: the outbox of alerts, e-mail (alerts and digest), chat channels, signed links.

May import storage, people and the foundation modules; never review, polling or above.
"""
