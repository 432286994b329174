"""Readers for the export formats the file connector accepts, one module per format.

They know the formats only: which files are public is in ``common``, the connector and the
folder walk are in ``connectors.files``.
"""
