"""Pick and fetch: which accounts are due, one poll (fetch, store, classify, queue alerts).

May import classify, alerts, people, storage and the foundation; never service or web.
"""
