"""The citizen front office: the site's procedures, a form page by page, tracking.

Routes (French paths, as citizens read them):

* ``GET /`` — procedures grouped by category, with a search box;
* ``GET|POST /demarches/{slug}`` — the current page of the form; POST submits it
  (next or back) and redirects (POST/redirect/GET);
* ``GET|POST /demarches/{slug}/recapitulatif`` — check the answers, then send;
* ``GET /demarches/{slug}/envoyee`` — the confirmation with the tracking code;
* ``GET|POST /suivi`` and ``GET /suivi/{code}`` — follow a case with its code.

A form being filled in is kept server-side as a draft in the store (the session
cookie only holds its id), so answers survive between pages and are never put in a
cookie.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from formflow.catalog import Procedure
from formflow.definitions.common import text_for
from formflow.engine.cases import Actor, Case, new_id
from formflow.engine.context import BlobStore, FormContext, Upload
from formflow.engine.core import Engine
from formflow.engine.effects import local_time
from formflow.engine.fields import unflatten
from formflow.engine.forms import FormRun
from formflow.engine.store import Draft
from formflow.exceptions import NotFoundError
from formflow.renderers.html import INTERFACE_LANGUAGES, HtmlRenderer
from formflow.web.security import check_csrf, csrf_token

__all__ = ["WebState", "routes"]

#: Largest number of fields (and files) a form post may carry.
MAX_FIELDS = 2000
MAX_FILES = 50
#: Largest single uploaded file the parser accepts; fields set their own, lower limits.
MAX_PART_SIZE = 25_000_000
_CODE = re.compile(r"^[2-9A-HJ-NP-TV-Z]{4}-?[2-9A-HJ-NP-TV-Z]{4}-?[2-9A-HJ-NP-TV-Z]{2}$")


@dataclass
class WebState:
    """What the routes share: the engine, the renderer, where uploads go."""

    engine: Engine
    renderer: HtmlRenderer
    blob_store: BlobStore
    root_url: str = ""
    static_url: str = "/static"


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.formflow
    return state


def _languages(request: Request) -> list[str]:
    """The site's languages that the interface is translated into (the first: default)."""
    site = _state(request).engine.site.definition.languages
    offered = [code for code in site if code in INTERFACE_LANGUAGES]
    return offered or [INTERFACE_LANGUAGES[0]]


def _language(request: Request) -> str:
    languages = _languages(request)
    chosen = request.query_params.get("lang")
    if chosen in languages:
        request.session["lang"] = chosen
    remembered = request.session.get("lang")
    if remembered in languages:
        return str(remembered)
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in languages:
            return code
    return languages[0]


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    state = _state(request)
    site = state.engine.site.definition
    html = state.renderer.render(
        template,
        site=site,
        language=_language(request),
        languages=_languages(request),
        root_url=state.root_url,
        static_url=state.static_url,
        csrf_token=csrf_token(request.session),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


def _session_expired(request: Request) -> HTMLResponse:
    """A POST without the session's CSRF token: refused, with a way forward."""
    return _page(
        request,
        "error.html",
        status=403,
        title="Session expirée",
        message="Votre session a expiré. Rechargez la page et recommencez.",
        reference=None,
    )


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _fold(text: str) -> str:
    """Lowercase without accents, for search: ``Déchets`` matches ``dechets``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def home(request: Request) -> Response:
    state = _state(request)
    language = _language(request)
    site = state.engine.site
    query = request.query_params.get("q", "")[:200].strip()
    words = _fold(query).split()
    groups: dict[str, dict[str, Any]] = {}
    count = 0
    for slug, procedure in site.procedures.items():
        if not procedure.enabled:
            continue
        form = procedure.form.definition
        title = text_for(procedure.title, language)
        description = text_for(form.description, language)
        haystack = _fold(" ".join([title, description, slug, *form.keywords]))
        if words and not all(word in haystack for word in words):
            continue
        category = form.category or "autres"
        group = groups.setdefault(
            category,
            {
                "slug": category,
                "title": text_for(site.definition.categories.get(category), language)
                or category.replace("-", " ").capitalize(),
                "procedures": [],
            },
        )
        group["procedures"].append({"slug": slug, "title": title, "description": description})
        count += 1
    ordered = sorted(groups.values(), key=lambda g: _fold(g["title"]))
    for group in ordered:
        group["procedures"].sort(key=lambda p: _fold(p["title"]))
    return _page(
        request, "home.html", title="Démarches en ligne", groups=ordered, query=query, count=count
    )


# -- filling in a form -------------------------------------------------------------------


def _procedure(request: Request) -> Procedure:
    try:
        return _state(request).engine.procedure(request.path_params["slug"])
    except NotFoundError:
        raise _NotFoundError from None


class _NotFoundError(Exception):
    """Raised inside a route to answer with the 404 page."""


def _context(request: Request, procedure: Procedure) -> FormContext:
    state = _state(request)
    return FormContext.from_site(
        state.engine.site,
        procedure.slug,
        query={k: v[:200] for k, v in request.query_params.items()},
        language=_language(request),
        blob_store=state.blob_store,
        now=state.engine.clock().replace(tzinfo=None),
    )


def _load_run(request: Request, procedure: Procedure) -> tuple[FormRun, str | None]:
    """The session's run of this procedure (from its draft), or a new one."""
    state = _state(request)
    runs = request.session.get("runs") or {}
    draft_id = runs.get(procedure.slug) if isinstance(runs, dict) else None
    context = _context(request, procedure)
    form = procedure.form.definition
    if isinstance(draft_id, str):
        draft = state.engine.store.get_draft(draft_id)
        if draft is not None and draft.form == procedure.slug:
            try:
                return FormRun.from_json(form, context, draft.state), draft_id
            except (ValueError, KeyError, TypeError):
                pass  # a draft of an incompatible version: start again
    return FormRun.start(form, context), None


def _save_run(request: Request, procedure: Procedure, run: FormRun, draft_id: str | None) -> str:
    state = _state(request)
    draft_id = draft_id or new_id()
    state.engine.store.save_draft(
        Draft(
            id=draft_id,
            site=state.engine.site.definition.slug,
            form=procedure.slug,
            form_version=procedure.form.version,
            state=run.to_json(),
            updated_at=state.engine.clock(),
        )
    )
    runs = dict(request.session.get("runs") or {})
    runs[procedure.slug] = draft_id
    request.session["runs"] = runs
    return draft_id


def _urls(request: Request, procedure: Procedure) -> dict[str, str]:
    base = f"{_state(request).root_url}/demarches/{procedure.slug}"
    return {"form": base, "summary": f"{base}/recapitulatif", "done": f"{base}/envoyee"}


async def form_page(request: Request) -> Response:
    procedure = _procedure(request)
    run, draft_id = _load_run(request, procedure)
    wanted = request.query_params.get("page")
    if wanted:
        # "Modifier" on the summary: step back to that page, answers kept.
        for _ in range(len(procedure.form.definition.pages)):
            if run.page is not None and run.page.id == wanted:
                break
            run.back()
        _save_run(request, procedure, run, draft_id)
    if run.complete:
        return _redirect(_urls(request, procedure)["summary"])
    errors = request.session.pop("errors", None)
    return _render_form(request, procedure, run, errors if isinstance(errors, dict) else {})


def _described(run: FormRun, submitted: Mapping[str, object] | None) -> list[dict[str, Any]]:
    fields = run.describe_page()
    if submitted is not None:
        _with_submitted(fields, submitted)
    return fields


def _expand_blocks(fields: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Give each block its rows: the answered ones plus one empty row to add another
    (up to ``max_rows``), so blocks work without JavaScript; empty rows are dropped
    when the page is submitted."""
    for field in fields:
        if field.get("kind") != "block":
            continue
        values = field.get("value") or []
        count = min(max(field.get("min_rows") or 1, len(values) + 1), field["max_rows"])
        noun = "Row" if language == "en" else "Ligne"
        field["rows"] = [
            {
                "label": f"{field['label']} – {noun} {index + 1}",
                "fields": [
                    {
                        **child,
                        "name": child["name"].replace("{index}", str(index)),
                        "value": (values[index] if index < len(values) else {}).get(child["id"]),
                        "visible": True,
                        "live": False,
                        # A row beyond the minimum may stay empty.
                        "required": child.get("required", False) and index < field["min_rows"],
                    }
                    for child in field["fields"]
                ],
            }
            for index in range(count)
        ]
    return fields


def _with_submitted(fields: list[dict[str, Any]], raw: Mapping[str, object]) -> None:
    """Show what the citizen sent back in the fields (a page with errors loses nothing)."""
    tree = unflatten(raw)
    for field in fields:
        sent = tree.get(field["id"])
        if sent is None or field.get("kind") in ("file", "title", "subtitle", "comment"):
            continue
        if field.get("kind") == "block" and isinstance(sent, Mapping):
            rows = [sent[k] for k in sorted(sent, key=lambda k: int(k) if k.isdigit() else 0)]
            field["value"] = [row for row in rows if isinstance(row, Mapping)]
        elif not isinstance(sent, Upload):
            field["value"] = sent


def _render_form(
    request: Request,
    procedure: Procedure,
    run: FormRun,
    errors: dict[str, str],
    status: int = 200,
    submitted: Mapping[str, object] | None = None,
) -> Response:
    language = _language(request)
    page = run.page
    assert page is not None
    visible_pages = run.visible_pages()
    step = next((i for i, p in enumerate(visible_pages, 1) if p.id == page.id), 1)
    return _page(
        request,
        "form_page.html",
        status=status,
        title=text_for(page.title, language),
        page_title=text_for(page.title, language),
        procedure_title=text_for(procedure.title, language),
        step=step,
        steps=len(visible_pages) + (1 if procedure.form.definition.confirmation_page else 0),
        fields=_expand_blocks(_described(run, submitted), language),
        errors=errors,
        action_url=_urls(request, procedure)["form"],
    )


async def form_submit(request: Request) -> Response:
    procedure = _procedure(request)
    form = await request.form(
        max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_PART_SIZE
    )
    if not check_csrf(request.session, form.get("csrf_token")):
        return _session_expired(request)
    run, draft_id = _load_run(request, procedure)
    if form.get("_action") == "back":
        run.back()
        _save_run(request, procedure, run, draft_id)
        return _redirect(_urls(request, procedure)["form"])
    raw: dict[str, object] = {}
    for key in set(form.keys()):
        if key in ("csrf_token", "_action"):
            continue
        values = form.getlist(key)
        converted = [
            Upload(v.filename or "", await v.read()) if isinstance(v, UploadFile) else v
            for v in values
            if not (isinstance(v, UploadFile) and not v.filename)
        ]
        if converted:
            raw[key] = converted[0] if len(converted) == 1 else converted
    await form.close()
    result = run.submit(raw)
    language = _language(request)
    if result.errors:
        errors = {
            error.path: (error.message_en if language == "en" else error.message_fr)
            for error in result.errors
        }
        # Shown at once (no redirect): the page keeps what the citizen typed.
        return _render_form(request, procedure, run, errors, status=422, submitted=raw)
    _save_run(request, procedure, run, draft_id)
    target = "summary" if result.done else "form"
    return _redirect(_urls(request, procedure)[target])


async def summary_page(request: Request) -> Response:
    procedure = _procedure(request)
    run, _ = _load_run(request, procedure)
    if not run.complete:
        return _redirect(_urls(request, procedure)["form"])
    language = _language(request)
    sections = [
        {
            "id": section.page.id,
            "title": text_for(section.page.title, language),
            "items": [
                {
                    "label": text_for(getattr(field, "label", None), language) or field.id,
                    "value": value,
                }
                for field, value in section.items
            ],
        }
        for section in run.summary(language)
    ]
    token = request.session.get("submission_token")
    if not isinstance(token, str):
        token = new_id()
        request.session["submission_token"] = token
    urls = _urls(request, procedure)
    return _page(
        request,
        "summary.html",
        title="Récapitulatif",
        procedure_title=text_for(procedure.title, language),
        summary=sections,
        action_url=urls["form"],
        submit_url=urls["summary"],
        submission_token=token,
    )


async def summary_submit(request: Request) -> Response:
    procedure = _procedure(request)
    form = await request.form(max_files=0, max_fields=10)
    if not check_csrf(request.session, form.get("csrf_token")):
        return _session_expired(request)
    run, draft_id = _load_run(request, procedure)
    if not run.complete:
        return _redirect(_urls(request, procedure)["form"])
    token = form.get("token")
    engine = _state(request).engine
    case = engine.submit(
        procedure.slug,
        run.json_answers(),
        Actor("citizen"),
        token=f"{procedure.slug}:{token}" if isinstance(token, str) and token else None,
    )
    if draft_id:
        engine.store.delete_draft(draft_id)
    runs = dict(request.session.get("runs") or {})
    runs.pop(procedure.slug, None)
    request.session["runs"] = runs
    request.session.pop("submission_token", None)
    submitted = dict(request.session.get("submitted") or {})
    submitted[procedure.slug] = case.id
    request.session["submitted"] = submitted
    return _redirect(_urls(request, procedure)["done"])


async def submitted_page(request: Request) -> Response:
    procedure = _procedure(request)
    case_id = (request.session.get("submitted") or {}).get(procedure.slug)
    if not isinstance(case_id, str):
        return _redirect(_urls(request, procedure)["form"])
    engine = _state(request).engine
    case = engine.store.get(case_id)
    language = _language(request)
    status = procedure.workflow.definition.statuses[case.status]
    message = _status_message(engine, procedure, case, language) if status.visible else None
    return _page(
        request, "submitted.html", title="Demande envoyée", case=case, status_message=message
    )


def _status_message(engine: Engine, procedure: Procedure, case: Case, language: str) -> str:
    from formflow.engine.effects import expression_context
    from formflow.expressions import compile_template

    status = procedure.workflow.definition.statuses[case.status]
    if not status.message:
        return ""
    context = engine.context(procedure, Actor("citizen"))
    return compile_template(status.message).render(expression_context(case, context))


# -- tracking ------------------------------------------------------------------------------


def _normalise_code(text: str) -> str | None:
    code = re.sub(r"[\s\-]", "", text.upper())[:20]
    if not _CODE.match(code):
        return None
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


async def track_lookup(request: Request) -> Response:
    return _page(request, "track_lookup.html", title="Suivre une demande", code="", error=None)


async def track_submit(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    if not check_csrf(request.session, form.get("csrf_token")):
        return _session_expired(request)
    raw = str(form.get("code") or "")
    code = _normalise_code(raw)
    if code is None:
        return _page(
            request,
            "track_lookup.html",
            status=422,
            title="Suivre une demande",
            code=raw[:40],
            error="Saisissez le code de suivi de 10 caractères, par exemple K7QM-4XR2-PV.",
        )
    return _redirect(f"{_state(request).root_url}/suivi/{code}")


async def track_case(request: Request) -> Response:
    engine = _state(request).engine
    code = _normalise_code(request.path_params["code"])
    case = engine.store.by_tracking_code(engine.site.definition.slug, code) if code else None
    if case is None:
        return _page(
            request,
            "track_lookup.html",
            status=404,
            title="Suivre une demande",
            code=request.path_params["code"][:40],
            error="Aucune demande ne correspond à ce code. Vérifiez-le et réessayez.",
        )
    language = _language(request)
    procedure = engine.procedure(case.form)
    workflow = procedure.workflow.definition
    runtime = engine.runtime(procedure)
    history = []
    for entry in case.history:
        if not entry.visible_to_citizen:
            continue
        target = workflow.statuses.get(entry.to_status)
        if entry.event == "comment":
            label = "Message du service"
        elif target is not None:
            label = text_for(target.label, language)
        else:
            label = entry.to_status
        history.append(
            {
                "at": local_time(entry.at, engine.site.definition),
                "label": label,
                "comment": entry.comment,
            }
        )
    status = workflow.statuses[case.status]
    return _page(
        request,
        "tracking.html",
        title=f"Demande {case.tracking_code}",
        case=case,
        procedure_title=text_for(procedure.title, language),
        status_label=runtime.describe_status(case, language),
        status_message=_status_message(engine, procedure, case, language)
        if status.visible
        else None,
        history=history,
    )


def routes() -> list[Any]:
    """The front office's routes."""
    from starlette.routing import Route

    return [
        Route("/", home, methods=["GET"]),
        Route("/demarches/{slug}", form_page, methods=["GET"]),
        Route("/demarches/{slug}", form_submit, methods=["POST"]),
        Route("/demarches/{slug}/recapitulatif", summary_page, methods=["GET"]),
        Route("/demarches/{slug}/recapitulatif", summary_submit, methods=["POST"]),
        Route("/demarches/{slug}/envoyee", submitted_page, methods=["GET"]),
        Route("/suivi", track_lookup, methods=["GET"]),
        Route("/suivi", track_submit, methods=["POST"]),
        Route("/suivi/{code}", track_case, methods=["GET"]),
    ]
