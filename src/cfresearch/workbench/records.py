"""Run records: run ids, input hashes, manifests, the last good run, atomic writes and moves.

A run lives in ``<reports>/<study>/<run-id>/`` with ``executed.ipynb``, ``report.html`` (when it
succeeded), ``results.json`` and ``manifest.json``. It is built in ``<reports>/.tmp/<run-id>/`` and
moved into place with one ``os.replace`` (same file system), so a reader never sees half a run and a
failed run never touches an earlier good one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

#: Packages whose versions every manifest records.
KEY_PACKAGES = ("cfresearch", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "seaborn",
                "papermill", "nbconvert")

STATUS_OK, STATUS_FAILED = "ok", "failed"


def now_utc() -> datetime:
    return datetime.now(UTC)


def new_run_id(started: datetime) -> str:
    """A sortable, unique run id: UTC start time to the microsecond plus four random hex digits."""
    return started.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(2)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hash_inputs(paths: dict[str, Path], root: Path) -> dict[str, str]:
    """SHA-256 of every input file (folders are walked in sorted order); keys are paths shown relative to root."""
    out: dict[str, str] = {}
    for path in paths.values():
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            out[display_path(f, root)] = sha256_file(f)
    return dict(sorted(out.items()))


def display_path(path: Path, root: Path) -> str:
    """A path relative to the project root when inside it (so no home folder leaks into shared reports)."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def code_fingerprint() -> str:
    """SHA-256 over the cfresearch package sources, so that a change of analysis code reruns studies."""
    pkg = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for f in sorted(pkg.rglob("*")):
        if f.is_file() and f.suffix in (".py", ".j2", ".json", ".css", ".yaml") and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(pkg)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def notebook_fingerprint(notebook: Path) -> str:
    """SHA-256 of the notebook's cell types and sources (stored outputs do not count)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    parts = [(c.get("cell_type"), "".join(c.get("source", ""))) for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def run_fingerprint(notebook: Path, parameters: dict[str, Any], inputs: dict[str, str]) -> str:
    """What decides whether a run can be skipped: notebook, parameters, input hashes and package code."""
    payload = {
        "notebook": notebook_fingerprint(notebook),
        "parameters": parameters,
        "inputs": inputs,
        "code": code_fingerprint(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def git_commit(root: Path) -> str | None:
    """The checked-out commit (with ``+dirty`` when the work tree has changes), or None outside git."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return sha + ("+dirty" if dirty else "")


def write_text_atomic(path: Path, text: str) -> None:
    """Write text to ``path`` through a temporary file in the same folder and one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@contextlib.contextmanager
def reports_lock(reports: Path) -> Iterator[None]:
    """An exclusive lock on the reports folder (two cron runs never write the index at once)."""
    reports.mkdir(parents=True, exist_ok=True)
    with open(reports / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def staging_dir(reports: Path, run_id: str) -> Path:
    """A fresh temporary folder for a run, on the same file system as its final place."""
    tmp = reports / ".tmp" / run_id
    tmp.mkdir(parents=True, exist_ok=False)
    return tmp


@contextlib.contextmanager
def staging_claim(stage: Path) -> Iterator[None]:
    """Hold ``<stage>.lock`` (an exclusive ``flock``) while a run works in ``stage``: the operating system
    releases it when the process ends, however it ends, so :func:`remove_abandoned_stages` can tell a folder
    of a run still going from one left by a run that was interrupted or killed."""
    lock = stage.parent / f"{stage.name}.lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove_abandoned_stages(reports: Path, grace_s: float = 60.0) -> list[str]:
    """Remove the staging folders of runs that are no longer running (their claim is free), and return their
    names. A folder without a claim file is left ``grace_s`` seconds, in case its run is just starting."""
    tmp = reports / ".tmp"
    if not tmp.is_dir():
        return []
    removed = []
    for d in (p for p in tmp.iterdir() if p.is_dir()):
        lock = tmp / f"{d.name}.lock"
        if not lock.exists():
            if time.time() - d.stat().st_mtime > grace_s:
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d.name)
            continue
        with open(lock, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a run is working here
            shutil.rmtree(d, ignore_errors=True)
            lock.unlink(missing_ok=True)
            removed.append(d.name)
    return removed


def publish(staged: Path, reports: Path, study: str, run_id: str) -> Path:
    """Move a finished run folder into ``<reports>/<study>/<run-id>`` with one rename."""
    final = reports / study / run_id
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, final)
    return final


def read_manifest(run_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        data["results"] = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data["results"] = {}
    data["path"] = run_dir
    return data


def list_runs(reports: Path, study: str | None = None) -> list[dict[str, Any]]:
    """Every recorded run (manifest + results), newest first."""
    runs = []
    if not reports.is_dir():
        return runs
    for study_dir in sorted(reports.iterdir()):
        if not study_dir.is_dir() or study_dir.name.startswith(".") or (study and study_dir.name != study):
            continue
        for run_dir in study_dir.iterdir():
            if run_dir.is_dir():
                m = read_manifest(run_dir)
                if m is not None:
                    runs.append(m)
    runs.sort(key=lambda m: (m.get("started", ""), m.get("run_id", "")), reverse=True)
    return runs


def last_good_run(reports: Path, study: str) -> dict[str, Any] | None:
    for m in list_runs(reports, study):
        if m.get("status") == STATUS_OK:
            return m
    return None
