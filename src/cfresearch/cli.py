"""The ``cfresearch`` command: a thin layer over the library (each command calls one public function).

Exit codes (documented in the README for cron and systemd):
  0  every run succeeded or was skipped as up to date
  1  at least one notebook failed (its executed notebook is kept and marked failed in the index)
  2  nothing ran: bad usage, unknown study, bad parameter, missing input, unreadable notebook or data
  130 interrupted
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_MESSAGE_LIMIT = 300  # characters of an error shown on the terminal (cron mail); --verbose shows it whole


def _paths(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    from .paths import notebooks_dir, project_root, reports_dir

    root = project_root()
    notebooks = Path(args.notebooks).resolve() if getattr(args, "notebooks", None) else notebooks_dir(root)
    reports = Path(args.out).resolve() if getattr(args, "out", None) else reports_dir(root)
    if reports.exists() and not reports.is_dir():
        from .workbench.errors import ParameterError

        raise ParameterError(f"--out {args.out}: that is a file; give a folder for the reports (created if missing)")
    return root, notebooks, reports


def _shown_default(p, study, root: Path) -> str:
    """A parameter's default as the user would type it: input paths relative to the project root (where
    ``cfresearch run`` is typed), not to the notebook."""
    from .workbench.records import display_path

    if p.is_path and isinstance(p.default, str) and p.default:
        return display_path((study.notebook.parent / p.default).resolve(), root)
    return repr(p.default)


def cmd_list(args: argparse.Namespace) -> int:
    from .workbench.studies import discover

    root, notebooks, _ = _paths(args)
    studies = discover(notebooks)
    if not studies:
        print(f"no study notebooks in {notebooks}")
        return EXIT_OK
    for s in studies:
        print(f"{s.name:<16} {s.title}  ({s.notebook.name})")
        if s.description:
            print(f"  {s.description[:150]}")
        width = max((len(p.name) for p in s.parameters.values()), default=0)
        for p in s.parameters.values():
            t = p.type_name + (" | None" if p.optional else "")
            rule = f"  [{p.rule.text}]" if p.rule else ""
            print(f"    {p.name:<{width}}  {t:<12} default {_shown_default(p, s, root)}{rule}"
                  + (f"  # {p.help}" if p.help else ""))
    return EXIT_OK


def _result_line(o, width: int = 120) -> str:
    """One line per run, at most ``width`` characters: study, status, time, then the report (or where the
    failed run's notebook is kept); headline figures follow while they fit (all of them are in the report
    and the index). A failed run's error follows on indented lines of the same width."""
    line = f"{o.study:<14} {o.status:<7} {o.duration_s:5.1f} s  {o.message}"
    if len(line) > width:
        line = line[: width - 1] + "…"
    if o.detail:
        import textwrap

        return line + "\n" + textwrap.fill(o.detail, width=width, initial_indent="  ", subsequent_indent="    ")
    figures = [f"{v.get('label', k)} {v.get('display')}" for k, v in o.results.items()
               if isinstance(v, dict) and v.get("headline")] if o.status != "failed" else []
    shown = []
    for f in figures:
        if len(line) + len("  [" + "; ".join([*shown, f]) + "]") > width:
            break
        shown.append(f)
    return line + (f"  [{'; '.join(shown)}]" if shown else "")


def cmd_run(args: argparse.Namespace) -> int:
    from .workbench.errors import ParameterError
    from .workbench.execution import clean_staging, plan_run, run_plans
    from .workbench.params import parse_assignments, read_params_file
    from .workbench.studies import discover, find_study

    root, notebooks, reports = _paths(args)
    if args.all and args.studies:
        raise ParameterError("give study names or --all, not both")
    if not args.all and not args.studies:
        raise ParameterError("name a study (see 'cfresearch list') or use --all")
    from_file = read_params_file(args.params_file) if args.params_file else None
    from_cli = parse_assignments(args.param or [])
    if args.all and (from_file or from_cli):
        raise ParameterError("-p/-f apply to one study; run studies one at a time to pass parameters")
    studies = discover(notebooks) if args.all else [find_study(notebooks, s) for s in args.studies]
    plans = [plan_run(s, root, from_file=from_file, from_cli=from_cli) for s in studies]
    clean_staging(reports)
    progress = sys.stderr.isatty() and not args.quiet
    outcomes = run_plans(plans, reports, jobs=args.jobs, force=args.force, progress=progress,
                         timeout=args.timeout)
    for o in outcomes:
        print(_result_line(o))
    print(f"index: {_display(reports / 'index.html', root)}")
    return EXIT_FAILED if any(o.status == "failed" for o in outcomes) else EXIT_OK


def _display(path: Path, root: Path) -> str:
    from .workbench.records import display_path

    return display_path(path, root)


def cmd_render(args: argparse.Namespace) -> int:
    from .workbench.rendering import render_html

    src = Path(args.notebook)
    if not src.is_file():
        from .workbench.errors import NotebookError

        raise NotebookError(f"{src}: notebook not found")
    out = Path(args.output) if args.output else src.with_suffix(".html")
    render_html(src, out)
    print(f"wrote {out}")
    return EXIT_OK


def cmd_index(args: argparse.Namespace) -> int:
    from .workbench.index import build_index

    _, _, reports = _paths(args)
    print(f"wrote {build_index(reports)}")
    return EXIT_OK


def cmd_store_outputs(args: argparse.Namespace) -> int:
    from .workbench.stored_outputs import refresh_stored_outputs
    from .workbench.studies import discover, find_study

    _, notebooks, _ = _paths(args)
    studies = discover(notebooks) if args.all or not args.studies else [find_study(notebooks, s) for s in args.studies]
    for s in studies:
        print(f"refreshed {refresh_stored_outputs(s, timeout=args.timeout)}")
    return EXIT_OK


def cmd_sample_data(args: argparse.Namespace) -> int:
    from .paths import project_root
    from .sample_data import write_all

    out = Path(args.out) if args.out else project_root() / "data" / "sample"
    files = write_all(out)
    print(f"wrote {len(files)} files under {out}")
    return EXIT_OK


def cmd_codebook(args: argparse.Namespace) -> int:
    from .survey.codebook import codebook_yaml_for

    sys.stdout.write(codebook_yaml_for(args.data))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="cfresearch", description="Run cfresearch studies and write HTML reports.")
    p.add_argument("--version", action="version", version=f"cfresearch {__version__}")
    p.add_argument("--verbose", action="store_true", help="show Python tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("list", help="list the studies and their parameters")
    s.add_argument("--notebooks", help="folder of study notebooks (default: notebooks/)")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("run", help="run studies and write their reports")
    s.add_argument("studies", nargs="*", metavar="STUDY")
    s.add_argument("--all", action="store_true", help="run every study")
    s.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="set a parameter (repeatable)")
    s.add_argument("-f", "--params-file", metavar="YAML", help="parameters from a YAML file (-p wins)")
    s.add_argument("--out", metavar="DIR", help="reports folder (default: reports/)")
    s.add_argument("--notebooks", help="folder of study notebooks (default: notebooks/)")
    s.add_argument("--force", action="store_true", help="rerun even when nothing changed")
    s.add_argument("-j", "--jobs", type=int, default=1, help="studies run in parallel (default 1)")
    s.add_argument("--timeout", type=int, default=None, metavar="S", help="per-cell timeout in seconds")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("render", help="render an executed notebook to a self-contained HTML report")
    s.add_argument("notebook")
    s.add_argument("-o", "--output", help="HTML file (default: beside the notebook)")
    s.set_defaults(func=cmd_render)

    s = sub.add_parser("index", help="rebuild reports/index.html from the run folders")
    s.add_argument("--out", metavar="DIR", help="reports folder (default: reports/)")
    s.set_defaults(func=cmd_index)

    s = sub.add_parser("store-outputs", help="re-execute notebooks on their defaults and keep the outputs")
    s.add_argument("studies", nargs="*", metavar="STUDY")
    s.add_argument("--all", action="store_true")
    s.add_argument("--notebooks", help="folder of study notebooks (default: notebooks/)")
    s.add_argument("--timeout", type=int, default=None)
    s.set_defaults(func=cmd_store_outputs)

    s = sub.add_parser("sample-data", help="regenerate the deterministic sample data")
    s.add_argument("--out", metavar="DIR", help="folder (default: data/sample/)")
    s.set_defaults(func=cmd_sample_data)

    s = sub.add_parser("codebook", help="print a codebook (YAML) generated from an SPSS .sav file's metadata")
    s.add_argument("data", help="an SPSS .sav file")
    s.set_defaults(func=cmd_codebook)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("cfresearch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        from .workbench.errors import WorkbenchError

        if args.verbose:
            traceback.print_exc()
        code = exc.exit_code if isinstance(exc, WorkbenchError) else EXIT_USAGE
        if isinstance(exc, (WorkbenchError, ValueError, OSError)):
            msg = str(exc).strip() or exc.__class__.__name__
        else:
            msg = f"unexpected {exc.__class__.__name__}: {exc} (rerun with --verbose for the traceback)"
        from .data import plain_reprs

        msg = plain_reprs(msg)
        if not args.verbose and len(msg) > _MESSAGE_LIMIT:
            msg = msg[:_MESSAGE_LIMIT - 1].rstrip() + "… (--verbose shows all of it)"
        print(f"cfresearch: error: {msg}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
