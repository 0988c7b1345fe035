"""Failures: every input that could not be read, fetched, parsed or stored, with its reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from .models import Failure, utcnow


def record_failure(
    engine: Engine,
    source_name: str,
    address: str,
    stage: str,
    reason: str,
    occurred_at: datetime | None = None,
) -> None:
    """Record one input that could not be processed."""
    with Session(engine) as session, session.begin():
        session.add(
            Failure(
                source_name=source_name,
                address=address,
                stage=stage,
                reason=reason[:2000],
                occurred_at=occurred_at or utcnow(),
            )
        )
