"""Language model answers kept for re-use (table ``llm_answers``): one per article text, model
and prompt version."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from . import statements as sql
from .models import LlmAnswer, utcnow


def cached_answer(engine: Engine, content_hash: str, model: str, prompt_version: str) -> str | None:
    """The answer kept for this text, model and prompt version, if any."""
    with Session(engine) as session:
        row = session.get(LlmAnswer, (content_hash, model, prompt_version))
        return row.content if row is not None else None


def keep_answer(
    engine: Engine, content_hash: str, model: str, prompt_version: str, content: str, tokens: int
) -> None:
    """Keep an answer (a second answer for the same key, from a concurrent run, is ignored)."""
    with Session(engine) as session:
        values = {
            "content_hash": content_hash,
            "model": model,
            "prompt_version": prompt_version,
            "content": content,
            "tokens": tokens,
            "created_at": utcnow(),
        }
        sql.insert_ignore(session, LlmAnswer, values, ["content_hash", "model", "prompt_version"])
        session.commit()
