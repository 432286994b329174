"""Classifiers: detectors that turn a post's text into findings, and the pipeline that runs them.

They know nothing of the database, connectors or e-mail; see ``classifiers.base``.
"""
