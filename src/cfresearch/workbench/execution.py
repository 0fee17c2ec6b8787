"""Execute studies with papermill: plan (validate, resolve, hash), run in a staging folder, publish.

``plan_run`` does everything that can fail before a kernel starts: parameter validation, input paths
(resolved and checked to exist), input hashes and the run fingerprint. ``execute`` runs one plan:
skip when the fingerprint equals the last good run's, else execute into ``<reports>/.tmp/<run-id>``,
render the report, write the manifest and move the folder into place; the index is rebuilt at the end.
``run_plans`` runs independent plans in parallel worker processes (never threads: papermill's ``cwd``
handling is not thread-safe).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputFileError
from .params import Parameter, check_columns, validate
from .records import (
    STATUS_FAILED,
    STATUS_OK,
    display_path,
    git_commit,
    hash_inputs,
    last_good_run,
    new_run_id,
    now_utc,
    publish,
    read_manifest,
    remove_abandoned_stages,
    reports_lock,
    run_fingerprint,
    staging_claim,
    staging_dir,
    versions,
    write_json_atomic,
)
from .results import ENV_VAR
from .studies import Study

KERNEL = "python3"


def _ipc_kernel_manager(folder: str, log: Path | None = None):
    """A kernel manager on IPC sockets in a private temporary folder, instead of loopback TCP ports, whose
    kernel writes its own stdout and stderr to ``log`` (the run's ``kernel.log``), never to the terminal.

    IPC avoids the port race of parallel runs (papermill#511, ipython#12372) and ipykernel's "running over TCP
    without encryption" warning on every scheduled run; the log keeps ipykernel's own noise (a KeyboardInterrupt
    caught on Ctrl-C, a ZMQError traceback when the kernel is stopped mid-message) out of cron's mail.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(folder, "kernel"))
            super().__init__(**kwargs)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if log is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            with open(log, "ab") as handle:  # the kernel process keeps its own copy of the descriptor
                kw.setdefault("stdout", handle)
                kw.setdefault("stderr", handle)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager


@dataclass
class RunPlan:
    """A validated run, ready to execute."""

    study: Study
    root: Path
    inject: dict[str, Any]          # typed values given by the user (paths absolute), passed to papermill
    effective: dict[str, Any]       # every parameter's value for the record (paths shown relative to root)
    given: dict[str, Any]           # what the user gave, for the index
    inputs: dict[str, str]          # input file -> SHA-256
    fingerprint: str


@dataclass
class RunOutcome:
    study: str
    status: str                     # "ok", "failed" or "skipped"
    message: str
    run_id: str = ""
    path: Path | None = None
    duration_s: float = 0.0
    results: dict[str, Any] = field(default_factory=dict)
    detail: str = ""                # a failed run's error (its first lines)


def _resolve_inputs(study: Study, values: dict[str, Any], given: set[str], cwd: Path) -> dict[str, Path]:
    """Absolute paths of the input files/folders named by path parameters; raise if one is missing."""
    paths: dict[str, Path] = {}
    for name, param in study.parameters.items():
        value = values.get(name)
        if not param.is_path or not isinstance(value, str) or not value:
            continue
        base = cwd if name in given else study.notebook.parent
        path = (base / value).resolve()
        if not path.exists():
            raise InputFileError(
                f"{study.name}: input not found: {value} (parameter {name}, resolved to {path}); "
                f"check the path or pass -p {name}=PATH"
            )
        if path.is_file() and not os.access(path, os.R_OK):
            raise InputFileError(f"{study.name}: cannot read {path} (parameter {name}); check its permissions")
        expected = _default_kind(study, name, param.default)
        if expected and expected != ("folder" if path.is_dir() else "file"):
            raise InputFileError(
                f"{study.name}: {value} is a {'folder' if path.is_dir() else 'file'} (parameter {name}); expected "
                f"a {expected}, like the default {param.default}")
        paths[name] = path
    return paths


def _default_kind(study: Study, name: str, default: Any) -> str:
    """"file" or "folder": what a path parameter's default is on disk ("" when it has no default there)."""
    if not isinstance(default, str) or not default:
        return ""
    path = (study.notebook.parent / default).resolve()
    return "folder" if path.is_dir() else "file" if path.is_file() else ""


def plan_run(study: Study, root: Path, *, from_file: dict[str, Any] | None = None,
             from_cli: dict[str, str] | None = None, cwd: Path | None = None) -> RunPlan:
    """Validate parameters and inputs for one run of ``study`` (nothing is executed).

    >>> from cfresearch.paths import notebooks_dir, project_root
    >>> from cfresearch.workbench.studies import find_study
    >>> plan_run(find_study(notebooks_dir(), "survey"), project_root(), from_cli={"level": "0.9"}).given
    {'level': 0.9}
    """
    cwd = (cwd or Path.cwd()).resolve()
    given = validate(study.parameters, from_file, from_cli)
    values = {name: p.default for name, p in study.parameters.items()} | given
    inputs = _resolve_inputs(study, values, set(given), cwd)
    check_columns(study.parameters, values, inputs, shown={k: display_path(v, root) for k, v in inputs.items()})
    inject = dict(given)
    for name in given:
        if name in inputs:
            inject[name] = str(inputs[name])
    effective = {
        name: display_path(inputs[name], root) if name in inputs else value for name, value in values.items()
    }
    shown_given = {name: effective[name] for name in given}
    hashes = hash_inputs(inputs, root)
    fingerprint = run_fingerprint(study.notebook, effective, hashes)
    return RunPlan(study, root, inject, effective, shown_given, hashes, fingerprint)


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/:'\"]+/)+([^\s/:'\"]+)")


def _first_lines(error: str, keep: int = 2, limit: int = 300) -> str:
    r"""A multi-line error message on one line for the terminal: its first ``keep`` lines, files named by their
    name rather than their whole path (a deep folder would push the row, the column and the advice past the cut),
    cut to about ``limit`` characters, and how many more lines there are (the whole error, paths included, is in
    the executed notebook and the manifest).

    >>> _first_lines("/tmp/x/run-1/cost.yaml: 1 problem in the cost model:\n  row 6, column rate\n  hint")
    'cost.yaml: 1 problem in the cost model: row 6, column rate … (1 more line(s) in the executed notebook)'
    """
    from cfresearch.data import plain_reprs

    lines = [ln.strip() for ln in plain_reprs(error).strip().splitlines() if ln.strip()]
    text = _ABSOLUTE_PATH.sub(r"\1", " ".join(lines[:keep]))
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return text + (f" … ({len(lines) - keep} more line(s) in the executed notebook)" if len(lines) > keep else "")


def _error_line(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:
        evalue = str(getattr(exc, "evalue", "")).strip()
        exec_count = getattr(exc, "exec_count", None)
        where = f"cell [{exec_count}]" if exec_count else "a cell"
        return f"{where} raised {ename}: {evalue}"
    return f"{exc.__class__.__name__}: {exc}".strip()


def execute(plan: RunPlan, reports: Path, *, force: bool = False, progress: bool | dict = False,
            timeout: int | None = None) -> RunOutcome:
    """Run one plan into ``reports`` (see the module docstring); never raises for a notebook error.

    The steps: skip when up to date; run the notebook in a staging folder; render the report; write the
    manifest; publish the folder and rebuild the index; say what happened. (The example starts a kernel, so
    it is not run as a doctest; tests/workbench/test_runner.py runs it.)

    >>> outcome = execute(plan, reports_dir())  # doctest: +SKIP
    >>> outcome.status, outcome.message  # doctest: +SKIP
    ('ok', 'report: reports/survey/20261202T090000000000Z-1a2b/report.html')
    """
    reports = reports.resolve()
    if not force:
        skipped = _up_to_date(plan, reports)
        if skipped is not None:
            return skipped
    started = now_utc()
    run_id = new_run_id(started)
    stage = staging_dir(reports, run_id)
    with staging_claim(stage):
        t0 = time.perf_counter()
        error = _run_notebook(plan.study, stage, plan.inject, progress, timeout)
        manifest = _manifest(plan, run_id, started, STATUS_FAILED if error else STATUS_OK)
        if not error:
            error = _render(stage, manifest, t0)
        _finish_manifest(stage, manifest, error, t0)
        with reports_lock(reports):
            final = publish(stage, reports, plan.study.name, run_id)
            from .index import build_index

            build_index(reports)
    return _outcome(plan, final, run_id, manifest, error)


def _up_to_date(plan: RunPlan, reports: Path) -> RunOutcome | None:
    """The outcome "skipped" when notebook, parameters and inputs equal those of the last good run."""
    last = last_good_run(reports, plan.study.name)
    if last is None or last.get("fingerprint") != plan.fingerprint:
        return None
    return RunOutcome(plan.study.name, "skipped",
                      f"up to date: notebook, parameters and inputs unchanged since run {last['run_id']} "
                      "(--force reruns)", last["run_id"], last["path"], 0.0, last.get("results", {}))


class _KnownParameters(logging.Filter):
    """papermill's own look at the parameters cell cannot read annotated optional parameters (``x: str |
    None``: "Passed unknown parameter") nor a line with two ``=`` (a ``[n >= 0]`` constraint: "Unable to
    parse line"), and says so on stderr, which cron mails; every name and value was validated against the
    parameters cell before papermill runs (params.py), so these are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Passed unknown parameter", "Unable to parse line"))


for _name in ("papermill", "papermill.translators"):  # a filter holds for its own logger only
    logging.getLogger(_name).addFilter(_KnownParameters())


class _ReportedInTheResult(logging.Filter):
    """nbclient logs a cell timeout on the ``traitlets`` logger before raising it; the run's result line
    already says which cell timed out and after how long, so the log line would only repeat it on stderr."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Timeout waiting for execute reply")


for _name in ("traitlets", "papermill"):
    logging.getLogger(_name).addFilter(_ReportedInTheResult())


def _run_notebook(study: Study, stage: Path, parameters: dict, progress, timeout: int | None) -> str:
    """Execute the notebook into ``stage/executed.ipynb`` with papermill; the error line, or "" on success.

    The kernel runs on IPC sockets in a private folder; a kernel that could not bind its sockets is retried
    (papermill#511). ``CFRESEARCH_RESULTS`` points :func:`record` at ``stage/results.json``."""
    import papermill as pm

    results_file = stage / "results.json"
    old_env = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = str(results_file)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    try:
        for attempt in range(3):
            try:
                with tempfile.TemporaryDirectory(prefix="cfr-kernel-") as kernel_dir:
                    pm.execute_notebook(
                        str(study.notebook), str(stage / "executed.ipynb"), parameters=parameters,
                        kernel_name=KERNEL, language="python", progress_bar=progress, log_output=False,
                        cwd=str(study.notebook.parent), execution_timeout=timeout,
                        request_save_on_cell_execute=True,
                        kernel_manager_class=_ipc_kernel_manager(kernel_dir, stage / "kernel.log"),
                    )
                return ""
            except Exception as exc:
                if exc.__class__.__name__ == "ZMQError" and attempt < 2:
                    time.sleep(0.5 * (attempt + 1))
                    continue
                raise
    except Exception as exc:
        return _error_line(exc)
    finally:
        if old_env is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = old_env
        if not results_file.exists():
            write_json_atomic(results_file, {})
    return ""


def _manifest(plan: RunPlan, run_id: str, started, status: str) -> dict[str, Any]:
    """The run record: what ran, with which parameters, inputs and versions."""
    study = plan.study
    return {
        "study": study.name,
        "title": study.title,
        "run_id": run_id,
        "status": status,
        "notebook": display_path(study.notebook, plan.root),
        "parameters": plan.effective,
        "given_parameters": plan.given,
        "inputs": plan.inputs,
        "fingerprint": plan.fingerprint,
        "versions": versions(),
        "git_commit": git_commit(plan.root),
        "started": started.isoformat(timespec="seconds"),
    }


def _timed(manifest: dict, t0: float) -> None:
    manifest |= {"finished": now_utc().isoformat(timespec="seconds"),
                 "duration_s": round(time.perf_counter() - t0, 2)}


def _render(stage: Path, manifest: dict, t0: float) -> str:
    """Render the executed notebook to ``report.html``; the error line, or "" on success."""
    from .rendering import render_html

    try:
        _timed(manifest, t0)
        results = json.loads((stage / "results.json").read_text(encoding="utf-8"))
        render_html(stage / "executed.ipynb", stage / "report.html", manifest=manifest, results=results)
        return ""
    except Exception as exc:
        manifest["status"] = STATUS_FAILED
        return f"rendering the report failed: {_error_line(exc)}"


def _finish_manifest(stage: Path, manifest: dict, error: str, t0: float) -> None:
    _timed(manifest, t0)
    if error:
        manifest["status"] = STATUS_FAILED
        manifest["error"] = error
    write_json_atomic(stage / "manifest.json", manifest)


def _outcome(plan: RunPlan, final: Path, run_id: str, manifest: dict, error: str) -> RunOutcome:
    """What the command line says about a published run."""
    results = (read_manifest(final) or {}).get("results", {})
    if error:
        kept = final / "executed.ipynb"
        shown = kept if kept.exists() else final
        where = f"{'executed notebook' if kept.exists() else 'run folder'}: {display_path(shown, plan.root)}"
        return RunOutcome(plan.study.name, manifest["status"], f"FAILED ({where})", run_id, final,
                          manifest["duration_s"], results, _first_lines(error))
    msg = f"report: {display_path(final / 'report.html', plan.root)}"
    return RunOutcome(plan.study.name, manifest["status"], msg, run_id, final, manifest["duration_s"], results)


def _worker(args: tuple) -> RunOutcome:
    plan, reports, force, progress, timeout = args
    try:
        return execute(plan, reports, force=force, progress=progress, timeout=timeout)
    except Exception as exc:  # never let one study's crash hide the others' outcomes
        return RunOutcome(plan.study.name, STATUS_FAILED, "FAILED", detail=_error_line(exc))


def run_plans(plans: list[RunPlan], reports: Path, *, jobs: int = 1, force: bool = False,
              progress: bool = False, timeout: int | None = None) -> list[RunOutcome]:
    """Execute plans, ``jobs`` at a time in separate processes; outcomes in the order of ``plans``.

    (The example starts kernels, so it is not run as a doctest; tests/workbench/test_runner.py runs plans.)

    >>> [o.status for o in run_plans(plans, reports_dir(), jobs=2)]  # doctest: +SKIP
    ['ok', 'skipped']
    """
    def bar(i: int, plan: RunPlan) -> bool | dict:
        return {"desc": plan.study.name, "position": i if jobs > 1 else 0, "leave": True} if progress else False

    args = [(p, reports, force, bar(i, p), timeout) for i, p in enumerate(plans)]
    if jobs <= 1 or len(plans) <= 1:
        return [_worker(a) for a in args]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(plans)), mp_context=ctx) as pool:
        return list(pool.map(_worker, args))


def clean_staging(reports: Path) -> list[str]:
    """Remove the staging folders that interrupted or killed runs left behind (a run still working keeps its
    own); see :func:`cfresearch.workbench.records.remove_abandoned_stages`."""
    return remove_abandoned_stages(reports)


__all__ = ["RunPlan", "RunOutcome", "plan_run", "execute", "run_plans", "clean_staging", "Parameter"]
