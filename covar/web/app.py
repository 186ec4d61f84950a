"""The ASGI application of ``covar serve`` (Starlette): the page, the JSON API, downloads, gallery.

Routes: ``/`` the calculator page, ``/gallery`` the worked examples, ``/static/...`` the page's
files (shipped in the package: no network, no CDN), ``POST /api/derive|figure|animation|moments`` with
the problem as JSON, ``GET /download/latex|json?density=...&map=...`` the same documents as
``covar latex --standalone`` and ``covar derive --format json``. Every job runs in the worker
pool (:mod:`covar.web.workers`) and is cached by problem (:mod:`covar.web.cache`).

Status codes: 200 a result; 422 a problem covar cannot or will not derive (the body names the
field and gives the CLI's message; a derivation past its budget is one of these, kind
"timeout", and so is a job past a worker's memory limit, kind "memory"); 400/413 a malformed or
oversized request; 500 a worker that crashed (replaced).
"""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from covar.web.cache import AnswerCache
from covar.web.gallery import gallery_page
from covar.web.problem import Problem, ProblemError, problem_from
from covar.web.workers import WorkerPool

STATIC = Path(__file__).parent / "static"
#: the largest request body and query string accepted, in bytes
MAX_BODY = 16 * 1024
MAX_QUERY = 4 * 1024
_STATUS = {"timeout": 422, "crash": 500, "busy": 503, "memory": 422}
#: the jobs a request may ask for (covar.web.jobs.JOBS, named here so the server never imports covar's engine)
JOBS = ("derive", "figure", "animation", "moments")


@dataclass(frozen=True)
class Settings:
    """How the server runs: worker processes, the time budget (seconds) of each job and the
    address space of each worker in MiB (None: no limit)."""

    workers: int = 2
    timeout: float = 20.0
    animation_timeout: float = 90.0
    grace: float = 5.0
    memory_mb: int | None = 3072

    def budget(self, job: str) -> float:
        return self.animation_timeout if job == "animation" else self.timeout


def _error(status: int, field: str | None, message: str, kind: str = "request") -> JSONResponse:
    return JSONResponse({"ok": False, "error": {"field": field, "message": message, "kind": kind}}, status)


def _answer_response(answer: dict[str, Any]) -> JSONResponse:
    if answer.get("ok"):
        return JSONResponse(answer)
    return JSONResponse(answer, _STATUS.get(answer["error"]["kind"], 422))


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object of a request, read up to MAX_BODY bytes (ProblemError otherwise)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise ProblemError("", f"the request is larger than {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ProblemError("", f"the request is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks) or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ProblemError("", "the request body is not JSON") from None
    if not isinstance(data, dict):
        raise ProblemError("", "the request body must be a JSON object with the fields of the form")
    return data


def _query_problem(request: Request) -> Problem:
    if len(request.url.query) > MAX_QUERY:
        raise ProblemError("", f"the query is longer than {MAX_QUERY} characters")
    return problem_from({k: (request.query_params.getlist(k) if k in ("assume", "values") else v)
                         for k, v in request.query_params.items()})


def create_app(settings: Settings = Settings()) -> Starlette:
    """The application; its lifespan starts and stops the worker pool."""
    state: dict[str, Any] = {}
    cache = AnswerCache()

    async def answer(job: str, problem: Problem) -> dict[str, Any]:
        pool: WorkerPool = state["pool"]
        return await cache.get_or_compute(problem.key(job),
                                          lambda: pool.run(job, problem.fields(), settings.budget(job)))

    async def page(request: Request) -> Response:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    async def gallery(request: Request) -> Response:
        return HTMLResponse(gallery_page())

    async def api(request: Request) -> Response:
        job = request.path_params["job"]
        if job not in JOBS:
            return _error(404, None, f"no such job {job[:40]!r}; the jobs are {', '.join(JOBS)}")
        try:
            problem = problem_from(await _body(request))
        except ProblemError as exc:
            return _error(413 if "larger" in str(exc) else 400, exc.field or None, str(exc))
        found = await answer(job, problem)
        if job == "derive" and found.get("ok"):  # the documents are for the download links
            found = {"ok": True, "view": found["view"]}
        return _answer_response(found)

    async def download(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in ("latex", "json"):
            return _error(404, None, "downloads are latex and json")
        try:
            problem = _query_problem(request)
        except ProblemError as exc:
            return _error(400, exc.field or None, str(exc))
        found = await answer("derive", problem)
        if not found.get("ok"):
            return _answer_response(found)
        name, media = ("covar.tex", "application/x-tex") if kind == "latex" else ("covar.json", "application/json")
        return Response(found[kind], media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "restarts": state["pool"].restarts, "cache_hits": cache.hits})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = WorkerPool(settings.workers, grace=settings.grace, memory_mb=settings.memory_mb)
        try:
            yield
        finally:
            state["pool"].close()

    routes = [Route("/", page), Route("/gallery", gallery), Route("/health", health),
              Route("/api/{job}", api, methods=["POST"]), Route("/download/{kind}", download),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    return Starlette(routes=routes, lifespan=lifespan)
