"""Orchestration layer: settings, fetching, the Prefect ``ingest`` flow and the CLI."""
