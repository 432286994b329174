"""Test doubles for the tests and benchmarks; not part of the installed package.

The wheel ships ``monitor``, ``connectors`` and ``classifiers`` only: nothing here is
installed. Tests and benchmarks import it from the checkout.
"""
