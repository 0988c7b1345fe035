"""Run a bench/ script as a user would, against this session's Prefect API, and read its JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path

from prefect.settings import PREFECT_API_URL

from tests.conftest import ROOT


def run_bench(script: str, args: list[str], tmp_path: Path) -> tuple[dict, str]:
    """``python bench/<script> <args> --json <file>`` (temporary files in tmp_path): its JSON
    and what it printed."""
    out = tmp_path / "result.json"
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, f"bench/{script}", *args, "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout
