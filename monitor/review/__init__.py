"""Review: what an employee sees and does with their flags (the web page's services).

May import alerts, people, storage and the foundation; never polling, service or web.
"""
