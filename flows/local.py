"""Reading local files and folders listed as ``files`` sources."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from parsers.pages.article import SUPPORTED_SUFFIXES

MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawDocument:
    """Bytes read from a file or URL, before parsing."""

    name: str  # file name or URL path, its suffix tells the format
    address: str  # absolute path or URL
    data: bytes
    fetched_at: datetime
    url: str | None = None
    content_type: str | None = None
    charset: str | None = None
    published_hint: date | None = None  # the date a feed or sitemap gave for it
    listed_by: str | None = None  # the feed or sitemap that listed it (its site is trusted)


class LocalReadError(OSError):
    """A file or folder could not be read; ``address`` says which."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"{address}: {reason}")
        self.address = address
        self.reason = reason  # without the address, which failures record apart


def resolve_address(address: str, base_dir: Path) -> Path:
    path = Path(address).expanduser()
    return path if path.is_absolute() else (base_dir / path)


def list_local_files(address: str, base_dir: Path) -> list[Path]:
    """Article files (.txt, .html, .json) at ``address``: one file, or a folder searched
    recursively, in name order. Raises LocalReadError when the address does not exist."""
    path = resolve_address(address, base_dir)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise LocalReadError(str(path), "no such file or folder")
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def read_local_file(path: Path) -> RawDocument:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LocalReadError(str(path), f"file too large ({size} bytes > {MAX_FILE_BYTES})")
        data = path.read_bytes()
    except LocalReadError:
        raise
    except OSError as exc:
        raise LocalReadError(str(path), exc.strerror or str(exc)) from exc
    return RawDocument(name=path.name, address=str(path.resolve()), data=data, fetched_at=datetime.now(UTC))


def iter_local_documents(paths: list[Path]) -> Iterator[RawDocument | LocalReadError]:
    for path in paths:
        try:
            yield read_local_file(path)
        except LocalReadError as exc:
            yield exc
