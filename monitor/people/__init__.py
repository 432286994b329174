"""People: employees, their consent (opt-in/opt-out) and the public accounts they link.

May import storage and the foundation modules, nothing above.
"""
