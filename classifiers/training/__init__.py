"""Training and evaluation: fitting the wording model, its conv block and word vectors, and
measuring the detectors on labelled sets. May import classifiers' runtime; never the reverse.
"""
