"""The ``formflow`` command.

::

    formflow catalog validate [PATH] [--site FILE]   check a catalogue (exit 1 on problems)
    formflow catalog list [PATH]                     one line per form
    formflow catalog show SLUG [PATH]                a form, its pages and its workflow
    formflow schema [--out DIR] [--check]            write (or check) the JSON Schemas
    formflow serve [--site FILE] [--catalog PATH] [--database-url URL] [--port N]
    formflow worker [--once]                         deliver e-mails and webhooks, fire timers
    formflow db upgrade [--database-url URL]         create or migrate the database

PATH defaults to ``./catalog`` when it exists, else to the catalogue bundled with formflow.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from formflow.catalog import Catalog, load_catalog, load_site
from formflow.definitions.common import text_for
from formflow.definitions.forms import DISPLAY_FIELD_TYPES, BlockField, FormDefinition
from formflow.definitions.schemas import definition_schemas, schema_text
from formflow.exceptions import DefinitionError, FormflowError, Problem
from formflow.loaders import Loader, bundled_catalog

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        status: int = args.run(args, sys.stdout)
    except DefinitionError as exc:
        count = len(exc.problems)
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{count} problem{'s' if count > 1 else ''} found.", file=sys.stderr)
        return 1
    except FormflowError as exc:
        print(f"formflow: {exc}", file=sys.stderr)
        return 1
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="formflow", description=__doc__.split("::")[0].strip())
    commands = parser.add_subparsers(title="commands")

    catalog = commands.add_parser("catalog", help="check and inspect a catalogue")
    sub = catalog.add_subparsers(title="catalogue commands")
    validate = sub.add_parser("validate", help="check every file; exit 1 on problems")
    validate.add_argument("path", nargs="?", help="catalogue directory")
    validate.add_argument(
        "--site",
        action="append",
        default=[],
        metavar="FILE",
        help="also check this site file (repeatable)",
    )
    validate.set_defaults(run=_validate)
    listing = sub.add_parser("list", help="list the forms")
    listing.add_argument("path", nargs="?", help="catalogue directory")
    listing.set_defaults(run=_list)
    show = sub.add_parser("show", help="show a form and its workflow")
    show.add_argument("slug")
    show.add_argument("path", nargs="?", help="catalogue directory")
    show.set_defaults(run=_show)

    schema = commands.add_parser("schema", help="write the JSON Schemas of definition files")
    schema.add_argument("--out", default="schemas", help="directory (default: schemas)")
    schema.add_argument(
        "--check", action="store_true", help="exit 1 if the files on disk are not up to date"
    )
    schema.set_defaults(run=_schema)

    serve = commands.add_parser("serve", help="run the citizen site (default: the demo site)")
    _site_options(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="web worker processes")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not deliver e-mails and fire timers in the web process "
        "(run 'formflow worker' instead)",
    )
    serve.set_defaults(run=_serve)

    database = commands.add_parser("db", help="manage the database")
    db_commands = database.add_subparsers(title="database commands")
    db_upgrade = db_commands.add_parser("upgrade", help="create or migrate the tables")
    db_upgrade.add_argument("--database-url", default=None, help=_DATABASE_HELP)
    db_upgrade.set_defaults(run=_db_upgrade)

    worker = commands.add_parser("worker", help="deliver the outbox and fire due timers")
    _site_options(worker)
    worker.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.set_defaults(run=_worker)
    return parser


_DATABASE_HELP = "SQLAlchemy URL (default: FORMFLOW_DATABASE_URL, else sqlite:///formflow.db)"


def _site_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--catalog", help="catalogue directory (default: the bundled one)")
    command.add_argument(
        "--site",
        default="demo",
        help="site file, or the name of a site of the catalogue (default: demo)",
    )
    command.add_argument("--database-url", default=None, help=_DATABASE_HELP)


def _catalog_source(path: str | None) -> str | Loader:
    if path is not None:
        return path
    return "catalog" if Path("catalog/forms").is_dir() else bundled_catalog()


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog(_catalog_source(args.path))
    problems: list[Problem] = []
    sites = [(f, catalog.loader.display_name(f)) for f in catalog.site_files()]
    for name, display in sites:
        try:
            load_site(catalog.loader.get_source(name), catalog, name=display)
        except DefinitionError as exc:
            problems += exc.problems
    for path in args.site:
        try:
            load_site(path, catalog)
        except DefinitionError as exc:
            problems += exc.problems
    if problems:
        raise DefinitionError(list(problems))
    checked = {str(Path(name).resolve()) for _, name in sites} | {
        str(Path(path).resolve()) for path in args.site
    }
    counts = [
        _plural(len(catalog.forms), "form"),
        _plural(len(catalog.workflows), "workflow"),
        _plural(len(catalog.cards), "card"),
        _plural(len(checked), "site file"),
    ]
    print(f"ok: {', '.join(counts)}", file=out)
    return 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _list(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog(_catalog_source(args.path))
    rows = [("slug", "title", "category", "workflow", "version")]
    for slug, entry in catalog.forms.items():
        form = entry.definition
        rows.append(
            (slug, text_for(form.title, "fr"), form.category or "-", form.workflow, entry.version)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=out,
        )
    return 0


def _show(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog(_catalog_source(args.path))
    entry = catalog.form(args.slug)
    form = entry.definition
    print(f"{text_for(form.title, 'fr')}  [{form.slug}, version {entry.version}]", file=out)
    print(f"file: {entry.file}", file=out)
    if form.description:
        print(text_for(form.description, "fr"), file=out)
    print(
        f"category: {form.category or '-'}    access: {form.access}    "
        f"tracking code: {'yes' if form.tracking_code else 'no'}",
        file=out,
    )
    if form.parameters:
        print("\nparameters:", file=out)
        for name, parameter in form.parameters.items():
            default = "" if parameter.default is None else f" (default {parameter.default!r})"
            print(
                f"  {name}: {parameter.type}{default}  {text_for(parameter.label, 'fr')}", file=out
            )
    _show_pages(form, out)
    _show_workflow(catalog, form.workflow, out)
    return 0


def _show_pages(form: FormDefinition, out: TextIO) -> None:
    for number, page in enumerate(form.pages, 1):
        condition = f"   if {page.show_if}" if page.show_if else ""
        print(f"\npage {number}: {text_for(page.title, 'fr')} [{page.id}]{condition}", file=out)
        _show_fields(page.fields, out, "  ")


def _show_fields(fields: Sequence[Any], out: TextIO, indent: str) -> None:
    for field in fields:
        kind = getattr(field, "type", "")
        label = getattr(field, "label", None) or getattr(field, "text", None)
        flags = []
        if kind not in DISPLAY_FIELD_TYPES and getattr(field, "required", False):
            flags.append("required")
        if getattr(field, "show_if", None):
            flags.append(f"if {field.show_if}")
        extra = f"  ({', '.join(flags)})" if flags else ""
        text = text_for(label, "fr").replace("\n", " ")
        if len(text) > 60:
            text = text[:57] + "..."
        print(f"{indent}{field.id:<20} {kind:<12} {text}{extra}", file=out)
        if isinstance(field, BlockField):
            _show_fields(field.fields, out, indent + "    ")


def _show_workflow(catalog: Catalog, slug: str, out: TextIO) -> None:
    entry = catalog.workflow(slug)
    workflow = entry.definition
    print(
        f"\nworkflow: {text_for(workflow.title, 'fr')} [{slug}, version {entry.version}]", file=out
    )
    for sid, status in workflow.statuses.items():
        marks = [
            m
            for m, on in (
                ("initial", sid == workflow.initial),
                ("final", status.final),
                ("hidden", not status.visible),
            )
            if on
        ]
        print(
            f"  {sid}: {text_for(status.label, 'fr')}"
            f"{'  (' + ', '.join(marks) + ')' if marks else ''}",
            file=out,
        )
        for action in status.actions:
            target = f" -> {action.to}" if action.to else ""
            print(f"      {action.id} [{', '.join(action.by)}]{target}", file=out)
        for jump in status.jumps:
            print(
                f"      jump -> {jump.to}{' if ' + jump.condition if jump.condition else ''}",
                file=out,
            )
        for timeout in status.timeouts:
            when = timeout.after or f"at {timeout.at}"
            print(f"      after {when} -> {timeout.to or '(stays)'}", file=out)


def _schema(args: argparse.Namespace, out: TextIO) -> int:
    folder = Path(args.out)
    stale = []
    for name, schema in definition_schemas().items():
        path = folder / name
        text = schema_text(schema)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(
            f"out of date in {folder}/: {', '.join(stale)}; run 'formflow schema'", file=sys.stderr
        )
        return 1
    verb = "up to date" if not stale else f"written: {', '.join(stale)}"
    print(f"schemas in {folder}/: {verb}", file=out)
    return 0


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    import uvicorn

    from formflow.server import Settings, build_app

    settings = Settings(
        catalog=args.catalog,
        site=args.site,
        database_url=args.database_url,
        worker_in_process=not args.no_worker,
    )
    # Build once here: located problems of the catalogue stop the command before any
    # process starts, and the first run creates the database.
    build_app(settings)
    os.environ.update(settings.to_environ())
    print(
        f"formflow: {settings.site} on http://{args.host}:{args.port}/ (Ctrl+C to stop)",
        file=out,
        flush=True,
    )
    uvicorn.run(
        "formflow.server:build_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
    )
    return 0


def _db_upgrade(args: argparse.Namespace, out: TextIO) -> int:
    from formflow.storage import current_revision, default_url, upgrade

    url = args.database_url or default_url()
    upgrade(url)
    print(f"database at revision {current_revision(url)}", file=out)
    return 0


def _worker(args: argparse.Namespace, out: TextIO) -> int:
    import signal
    import threading

    from formflow.server import Settings, build_engine, build_worker

    settings = Settings(catalog=args.catalog, site=args.site, database_url=args.database_url)
    worker = build_worker(build_engine(settings), settings)
    if args.once:
        report = worker.run_once()
        print(
            f"timers fired: {report.timers_fired}, delivered: {report.delivered}, "
            f"retried: {report.retried}, failed: {report.failed}",
            file=out,
        )
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print("formflow worker: running (Ctrl+C to stop)", file=out, flush=True)
    worker.run_forever(stop, args.interval)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
