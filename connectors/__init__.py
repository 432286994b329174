"""Connectors: turn an account and a cursor into new, edited and deleted public posts.

They know nothing of the database, the classifiers or e-mail; see ``connectors.base``.
"""
