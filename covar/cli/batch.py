"""``covar batch``: a file of problems (JSON lines or YAML) derived into JSON lines, in parallel.

Each problem is an object with ``id``, ``density`` and ``map`` and optionally ``support``,
``assume`` (a list), ``timeout`` (seconds), ``vars`` (a list) and ``marginal``. Each output line
is ``{"id", "status", "message", "result"}`` with status ok / refused / timeout / error and the
result document of ``covar derive -f json`` (reproducible: no timings). Problems run in worker
processes (``jobs``) or on a Dask distributed cluster (``scheduler``), each under its own time
budget; ids already in the output file are skipped, so an interrupted batch resumes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import click

from covar.cli.problem import Problem

STATUSES = ("ok", "refused", "timeout", "error")
# failures of covar's own code (a bug, reported per problem instead of stopping the batch)
_INTERNAL_FAILURES = (ValueError, TypeError, ArithmeticError, AttributeError, KeyError, IndexError,
                      NotImplementedError, RecursionError)


@dataclass(frozen=True)
class Entry:
    """One problem of the input file: its id and what to derive (or why it cannot be read)."""

    id: str
    problem: Problem | None
    invalid: str | None = None


def read_problems(path: str, default_timeout: float) -> list[Entry]:
    """The problems of a JSON-lines file (or YAML: a list of objects, when pyyaml is installed)."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError:
            from covar.errors import MissingExtra

            raise MissingExtra("reading YAML problems needs pyyaml: pip install pyyaml") from None
        items = yaml.safe_load(text) or []
        if not isinstance(items, list):
            raise click.BadParameter("a YAML problem file is a list of objects", param_hint="PROBLEMS")
    else:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise click.BadParameter(f"line {number} is not JSON: {exc}", param_hint="PROBLEMS") from None
    entries = [_entry(item, number, default_timeout) for number, item in enumerate(items, 1)]
    ids = [e.id for e in entries]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise click.BadParameter(f"the id {repeated[0]!r} is used twice; ids must be unique", param_hint="PROBLEMS")
    return entries


def _entry(item: Any, number: int, default_timeout: float) -> Entry:
    if not isinstance(item, dict):
        return Entry(f"#{number}", None, f"problem {number} is not an object")
    pid = str(item.get("id", f"#{number}"))
    known = {"id", "density", "map", "support", "assume", "timeout", "vars", "marginal"}
    unknown = sorted(set(item) - known)
    if unknown or not isinstance(item.get("density"), str) or not isinstance(item.get("map"), str):
        why = f"unknown key {unknown[0]!r}" if unknown else "needs the strings \"density\" and \"map\""
        return Entry(pid, None, f"problem {pid}: {why} (keys: {', '.join(sorted(known))})")
    assume, names = item.get("assume", []), item.get("vars", [])
    assume = [assume] if isinstance(assume, str) else assume
    names = names.split(",") if isinstance(names, str) else names
    timeout = item.get("timeout", default_timeout)
    if not (isinstance(timeout, (int, float)) and 0.1 <= timeout < float("inf")):
        return Entry(pid, None, f"problem {pid}: timeout must be a finite number of seconds >= 0.1")
    return Entry(pid, Problem(item["density"], item["map"], item.get("support"), tuple(map(str, assume)),
                              float(timeout), tuple(str(n).strip() for n in names), item.get("marginal")))


def run_entry(entry: Entry) -> dict:
    """The output line of one problem (run in a worker: no exception leaves it).

    >>> run_entry(Entry("a", Problem("Exponential(1)", "2*x")))["status"]
    'ok'
    >>> run_entry(Entry("b", Problem("Normal(0, 1)", "y**2")))["status"]
    'refused'
    """
    from covar.errors import CovarError, DerivationTimeout

    from covar.cli.problem import result_document, solve

    line: dict = {"id": entry.id, "status": "error", "message": entry.invalid, "result": None}
    if entry.problem is None:
        return line
    try:
        line.update(status="ok", result=result_document(solve(entry.problem)))
    except DerivationTimeout as exc:
        line.update(status="timeout", message=str(exc))
    except (CovarError, click.ClickException) as exc:
        line.update(status="refused", message=exc.format_message() if isinstance(exc, click.ClickException)
                    else str(exc))
    except _INTERNAL_FAILURES as exc:
        line.update(status="error", message=f"internal error ({type(exc).__name__}: {exc})")
    return line


def done_ids(path: str) -> set[str]:
    """Ids of the complete lines already in the output file (a torn last line is derived again)."""
    ids = set()
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    ids.add(str(json.loads(line)["id"]))
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue
    except FileNotFoundError:
        pass
    return ids


def _local(entries: list[Entry], jobs: int) -> Iterator[dict]:
    """Results in input order, from ``jobs`` worker processes (in this process for one job)."""
    if jobs == 1:
        yield from map(run_entry, entries)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(run_entry, entries)


def _dask(entries: list[Entry], address: Any) -> Iterator[dict]:
    """Results in input order from a Dask distributed cluster (an address or a Client/cluster)."""
    try:
        from distributed import Client
    except ImportError:
        from covar.errors import MissingExtra

        raise MissingExtra('--scheduler needs dask: pip install "covar[dask]"') from None
    client = Client(address)
    try:
        futures = client.map(run_entry, entries, pure=False)
        for future in futures:
            yield future.result()
    finally:
        client.close()


def run_batch(entries: list[Entry], output: str, jobs: int = 1, scheduler: Any = None,
              progress: Callable[[int], Any] | None = None) -> dict[str, int]:
    """Derive the entries whose ids are not yet in ``output`` and append their lines; the count
    of each status (``skipped`` for the lines already there)."""
    done = done_ids(output)
    todo = [e for e in entries if e.id not in done]
    counts = dict.fromkeys(STATUSES, 0)
    counts["skipped"] = len(entries) - len(todo)
    results: Iterable[dict] = _dask(todo, scheduler) if scheduler is not None else _local(todo, jobs)
    with open(output, "a+", encoding="utf-8") as fh:
        if fh.tell():  # a torn last line (an interrupted write) is ended before appending
            fh.seek(fh.tell() - 1)
            if fh.read(1) != "\n":
                fh.write("\n")
        for line in results:
            fh.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            fh.flush()  # every finished line survives an interruption
            counts[line["status"]] += 1
            if progress is not None:
                progress(1)
    return counts
