"""Classify and decide: run the detectors on a post, decide alert/digest/ok, evaluate.

May import storage and the foundation modules; never polling, alerts or the service.
"""
