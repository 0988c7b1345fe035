"""Storage layer: SQLModel tables, engine, repeat-safe writes, queries and SQL views.

No Prefect and no network here; the engine is passed in by the caller.
"""
