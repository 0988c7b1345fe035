"""Pure parsing layer: text, HTML and JSON in, plain typed objects out.

Nothing in this package touches the network, the database, the clock, the environment or
Prefect; callers pass what is needed (for example ``fetched_at``).
"""
