"""The execution report: one HTML page that needs no network.

    baton report ID        # writes executions/ID/_report/index.html; a local run writes it at its end

It shows, for the last run of the execution: the failure (state, error, the job's message) at the
top; the state machine from the execution's own ``_definition.asl.json``, laid out by Graphviz and
coloured from the history (selecting a state shows its input, output, timing, error and cause); a
timeline of the task states with their attempts, retry intervals and waits; the stage table from the
manifests; the quality verdicts with links to each stage's Data Docs and the quarantined rows per
expectation. ``report_html`` takes a definition and events only, so an AWS GetExecutionHistory
(same event shapes) renders the same way.

Everything that comes from the definition, the history or the data is escaped: HTML text through
``html.escape``, the per-state details as a JSON island that the inline script reads and shows with
``textContent``. Nothing is fetched: no external script, style, font or image.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from baton import paths
from baton.storage import Storage, read_json
from orchestration.failure import failure_of, job_message
from orchestration.views import graph
from orchestration.views.page import PAGE, SCRIPT, STYLE, script_hash
from orchestration.views.visits import STATUSES, Run, Visit, runs_of
from quality.verdict import Verdict

REPORT = "_report/index.html"
TRIM = 4000  # characters of an input, output or cause shown in the details panel
DATA_DOCS = "quality/index.html"


@dataclass
class StageRow:
    """A stage's committed outputs, as its manifests and verdict tell."""

    name: str
    counts: dict[str, Any]
    seconds: float | None = None
    verdict: Verdict | None = None
    data_docs: str | None = None  # the Data Docs page, relative to the report


@dataclass
class ExecutionRecord:
    """What the page says of the execution beyond its history (from ``_execution.json`` when there is one)."""

    execution_id: str
    pipeline: str | None = None
    stages: list[StageRow] = field(default_factory=list)


def report_key(execution_id: str) -> str:
    return f"{paths.execution_prefix(execution_id)}/{REPORT}"


def write_report(storage: Storage, execution_id: str) -> str:
    """Write the report of a stored execution; return its key (``executions/{id}/_report/index.html``)."""
    from orchestration.executions import DEFINITION, EXECUTION, HISTORY  # local.py calls this at the end of a run

    prefix = paths.execution_prefix(paths.validate_name(execution_id, "execution id"))
    definition = read_json(storage, f"{prefix}/{DEFINITION}")
    text = storage.read_bytes(f"{prefix}/{HISTORY}").decode() if storage.exists(f"{prefix}/{HISTORY}") else ""
    events = [json.loads(line) for line in text.splitlines() if line.strip()]
    record = read_json(storage, f"{prefix}/{EXECUTION}") if storage.exists(f"{prefix}/{EXECUTION}") else {}
    page = report_html(definition, events, ExecutionRecord(execution_id, record.get("pipeline"),
                                                           stage_rows(storage, execution_id)))
    key = report_key(execution_id)
    storage.write_bytes(key, page.encode())
    return key


def stage_rows(storage: Storage, execution_id: str) -> list[StageRow]:
    """The stages that left outputs or a verdict, in the order they started."""
    from orchestration.run_summary import stage_counts

    prefix = paths.execution_prefix(execution_id)
    names = {k[len(prefix) + 1:].split("/", 1)[0] for k in storage.list_keys(prefix)}
    rows, started = [], {}
    for name in sorted(n for n in names if not n.startswith("_") and paths.NAME_PATTERN.fullmatch(n)):
        stage = paths.StagePaths(execution_id, name)
        manifests = _committed_manifests(storage, stage)
        verdict = Verdict.from_json(read_json(storage, stage.verdict)) if storage.exists(stage.verdict) else None
        if not manifests and verdict is None:
            continue
        docs = f"../{name}/{DATA_DOCS}" if storage.exists(f"{stage.prefix}/{DATA_DOCS}") else None
        rows.append(StageRow(name, stage_counts(storage, execution_id, name), _span(manifests), verdict, docs))
        started[name] = min((m.get("startedAt") or "" for m in manifests), default="")
    return sorted(rows, key=lambda r: (started[r.name], r.name))


def _committed_manifests(storage: Storage, stage: paths.StagePaths) -> list[dict[str, Any]]:
    """The manifests of the stage's outputs and quarantines that have ``_SUCCESS`` (not a staged attempt's)."""
    manifests = []
    for kind in ("output", "quarantine"):
        for key in storage.list_keys(f"{stage.prefix}/{kind}"):
            dataset_key = key.rsplit("/", 1)[0]
            if key.endswith(f"/{paths.MANIFEST}") and storage.exists(paths.success_key(dataset_key)):
                manifests.append(read_json(storage, key))
    return manifests


def _span(manifests: list[dict[str, Any]]) -> float | None:
    times = [(m.get("startedAt"), m.get("endedAt")) for m in manifests if m.get("startedAt") and m.get("endedAt")]
    if not times:
        return None
    start = min(datetime.fromisoformat(a) for a, _ in times)
    end = max(datetime.fromisoformat(b) for _, b in times)
    return round((end - start).total_seconds(), 1)


# -- the page ------------------------------------------------------------------------------
def report_html(definition: dict[str, Any], events: list[dict[str, Any]], record: ExecutionRecord) -> str:
    """The report page of the last run in ``events`` (local history, or AWS GetExecutionHistory's events)."""
    runs = runs_of(events)
    run = runs[-1]
    states = run.states()
    diagram = graph.diagram_of(definition)
    statuses = {name: shown["status"] for name, shown in states.items()}
    notes = {name: f"{shown['attempts']} attempts" for name, shown in states.items() if shown["status"] == "retried"}
    details = {diagram.ids[name]: _trimmed(name, shown) for name, shown in states.items() if name in diagram.ids}
    title = f"{record.pipeline or 'execution'} {record.execution_id}"
    sections = [_header(record, run, len(runs)), _failure(run), _legend(states),
                f'<section class="graph"><h2>State machine</h2><div class="layout"><div id="graph">'
                f'{graph.svg(diagram, statuses, notes)}</div>{_panel()}</div></section>',
                _timeline(run), _stage_table(record.stages), _quality(record.stages)]
    return PAGE.format(title=_text(title), style=STYLE, script_hash=script_hash(),
                       body="\n".join(s for s in sections if s), data=_json_island(details), script=SCRIPT)


def _header(record: ExecutionRecord, run: Run, count: int) -> str:
    seconds = (run.stop - run.start).total_seconds() if run.start and run.stop else None
    facts = [("execution", record.execution_id), ("pipeline", record.pipeline), ("status", run.status),
             ("started", run.start and run.start.isoformat(timespec="seconds")),
             ("stopped", run.stop and run.stop.isoformat(timespec="seconds") if run.ended else None),
             ("duration", f"{seconds:,.1f} s" if seconds is not None else None),
             ("run", f"{count} of {count}" if count > 1 else None)]
    items = "".join(f"<dt>{_text(k)}</dt><dd>{_text(v)}</dd>" for k, v in facts if v is not None)
    status = run.status.lower().replace("_", "-")
    return (f'<header><h1>{_text(record.pipeline or "execution")} <span class="status {status}">{_text(run.status)}'
            f'</span></h1><dl class="facts">{items}</dl><details><summary>execution input</summary>'
            f"<pre>{_text(_cut(run.input()))}</pre></details></header>")


def _failure(run: Run) -> str:
    failure = failure_of(run.events)
    if failure is None:
        return ""
    return (f'<section class="failure" id="failure"><h2>Failed at {_text(failure.state or "?")}</h2>'
            f'<p class="error">{_text(failure.error)}</p><pre class="cause">{_text(_cut(failure.cause))}</pre>'
            "</section>")


def _legend(states: dict[str, dict[str, Any]]) -> str:
    counts = {s: sum(1 for v in states.values() if v["status"] == s) for s in STATUSES if s != "not-entered"}
    items = "".join(f'<li><span class="swatch {s}"></span>{_text(s)} {n}</li>' for s, n in counts.items())
    return (f'<ul class="legend">{items}<li><span class="swatch not-entered"></span>not entered</li>'
            '<li><span class="swatch catch-edge"></span>Catch</li></ul>')


def _panel() -> str:
    rows = "".join(f'<dt>{label}</dt><dd><pre data-field="{name}"></pre></dd>' for name, label in (
        ("status", "status"), ("type", "type"), ("timing", "timing"), ("attempts", "attempts"), ("error", "error"),
        ("cause", "cause"), ("input", "input"), ("output", "output")))
    return (f'<aside id="panel"><h3 id="panel-name">Select a state</h3><dl class="hidden" id="panel-fields">{rows}'
            "</dl></aside>")


def _trimmed(name: str, shown: dict[str, Any]) -> dict[str, Any]:
    timing = f"{shown['entered']} to {shown['exited'] or '…'}"
    if shown["seconds"] is not None:
        timing += f" ({shown['seconds']:,.3f} s)"
    if shown["visits"] > 1:
        timing += f"; entered {shown['visits']} times, the last shown"
    message = job_message(shown["cause"])
    cause = shown["cause"] if message == shown["cause"] else f"{message}\n\n{shown['cause']}"
    return {"name": name, "status": shown["status"], "type": shown["type"], "timing": timing,
            "attempts": str(shown["attempts"]) if shown["attempts"] else "", "error": shown["error"] or "",
            "cause": _cut(cause), "input": _cut(_pretty(shown["input"])), "output": _cut(_pretty(shown["output"]))}


def _timeline(run: Run) -> str:
    visits = [v for v in run.visits if v.kind in ("Task", "Wait")]
    if not visits or not run.start or not run.stop:
        return ""
    start, total = run.start, max((run.stop - run.start).total_seconds(), 1e-6)

    def bar(kind: str, begin: datetime, end: datetime | None, title: str) -> str:
        left = (begin - start).total_seconds() / total * 100
        width = max(((end or run.stop) - begin).total_seconds() / total * 100, 0.3)
        return (f'<span class="bar {kind}" style="left:{left:.2f}%;width:{width:.2f}%" '
                f'title="{_text(title)}"></span>')

    rows = []
    for visit in visits:
        bars = _bars(visit, bar)
        rows.append(f'<div class="row"><span class="label">{_text(visit.name)}</span><span class="track">'
                    f'{"".join(bars)}</span></div>')
    legend = "".join(f'<li><span class="bar-key {k}"></span>{t}</li>' for k, t in (
        ("ok", "attempt succeeded"), ("failed", "attempt failed"), ("retry-wait", "retry interval"),
        ("wait", "Wait state")))
    return (f'<section class="timeline"><h2>Timeline</h2><p>{_text(f"{total:,.1f} s from start to end")}</p>'
            f'<div class="gantt">{"".join(rows)}</div><ul class="legend">{legend}</ul></section>')


def _bars(visit: Visit, bar: Callable[[str, datetime, datetime | None, str], str]) -> list[str]:
    if visit.kind == "Wait":
        return [bar("wait", visit.entered, visit.exited, f"{visit.name}: wait")]
    bars, previous_end = [], None
    for number, attempt in enumerate(visit.attempts, start=1):
        if previous_end is not None:
            bars.append(bar("retry-wait", previous_end, attempt.start, f"{visit.name}: retry interval"))
        kind = "failed" if attempt.error else "ok"
        bars.append(bar(kind, attempt.start, attempt.end,
                        f"{visit.name}: attempt {number}" + (f": {attempt.error}" if attempt.error else "")))
        previous_end = attempt.end
    return bars


def _stage_table(stages: list[StageRow]) -> str:
    if not stages:
        return ""
    rows = "".join(
        f"<tr><td>{_text(s.name)}</td><td class=num>{_number(s.counts.get('rowsOut'))}</td>"
        f"<td class=num>{_number(s.counts.get('rowsQuarantined'))}</td>"
        f"<td class=num>{_number(s.seconds)}</td><td>{_text(', '.join(s.counts.get('datasets', {})))}</td></tr>"
        for s in stages)
    return ('<section class="stages"><h2>Stages</h2><table><thead><tr><th>stage</th><th>rows out</th>'
            f"<th>quarantined</th><th>seconds</th><th>datasets</th></tr></thead><tbody>{rows}</tbody></table>"
            "</section>")


def _quality(stages: list[StageRow]) -> str:
    gated = [(s, s.verdict) for s in stages if s.verdict is not None]
    if not gated:
        return ""
    parts = []
    for stage, verdict in gated:
        passed = "passed" if verdict.passed else "failed"
        link = f' <a href="{_text(stage.data_docs)}">Data Docs</a>' if stage.data_docs else ""
        expectations = "".join(
            f"<tr><td>{_text(e.get('dataset'))}</td><td>{_text(e.get('name'))}</td><td>{_text(e.get('type'))}</td>"
            f"<td>{_text(e.get('onFail'))}</td><td class=num>{_number(e.get('unexpectedCount'))}</td></tr>"
            for e in verdict.failed_expectations)
        table = ("<table><thead><tr><th>dataset</th><th>expectation</th><th>type</th><th>on fail</th>"
                 f"<th>unexpected rows</th></tr></thead><tbody>{expectations}</tbody></table>"
                 if expectations else "<p>No expectation failed.</p>")
        parts.append(f'<div class="verdict {passed}"><h3>{_text(stage.name)}: {passed}{link}</h3>'
                     f'<p>{_text(verdict.reason)}</p>{table}</div>')
    return f'<section class="quality"><h2>Quality</h2>{"".join(parts)}</section>'


# -- escaping ------------------------------------------------------------------------------
def _text(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _json_island(value: Any) -> str:
    """JSON that no string inside can end the script element it sits in."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:,}" if isinstance(value, int) else _text(value)


def _cut(text: str | None) -> str:
    if not text:
        return ""
    return text if len(text) <= TRIM else f"{text[:TRIM]}… ({len(text):,} characters, trimmed)"


def _pretty(text: str | None) -> str | None:
    """A JSON string of the history indented; an AWS history's truncated value as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False) if text else text
    except json.JSONDecodeError:
        return text
