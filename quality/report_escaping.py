"""Escaping the inputs of GE's renderers, and compound samples made readable, for :mod:`quality.report`.

Escaping. GE's Jinja templates are ``.j2`` files, so Jinja's autoescape (``.html``/``.xml`` only) never
applies: GE escapes only the string parameters of its string templates. Table cells, headers, the
breadcrumb, exception tracebacks, values inside a list, and the index table (a Python ``repr`` inside
a ``<script>``, which bootstrap-table then inserts as HTML) all reach the page raw. Baton therefore
escapes the *inputs* of GE's renderers: :func:`escape_validation` HTML-escapes (quotes included) every
string of the validation result, dict keys too, once, and the views Baton renders with replace GE's
parameter escaping (which would escape them a second time) by one that leaves character references
alone. ``row_condition`` is the exception: GE parses it while rendering, so it stays as written and
reaches the page only as string-template parameters, which that escaping covers. Every character that came from data, a
suite, a parameter or an error message then reaches the page as an entity or as itself, never as
``<``, ``>``, ``&``, ``"`` or ``'``, in whichever context GE puts it: text, a quoted attribute, or a
quoted string in a script whose content is used as HTML. (Expectation ``notes``, the one Markdown
input, appear only on suite pages, which a report site does not have. Vega charts show the escaped
text of values holding those characters: ``A&amp;B``.) This was preferred over sanitising the
rendered page: a parser cannot tell GE's own scripts and handlers from injected ones, while an
input pass is complete by construction (GE's structural strings, such as expectation types and
result keys, contain none of the escaped characters, so escaping leaves them unchanged).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

PARSED_BY_GE = frozenset({"row_condition"})  # expectation kwargs GE parses while rendering: escaped when shown
BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")


def readable_samples(validation: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``validation`` whose multi-value samples read as tuples: ``(1, 'apar', 'ilu')``.

    GE reports a compound-key sample (multicolumn expectations) as a dict (``partial_unexpected_list``)
    or a list (the values of ``partial_unexpected_counts``) and renders the one as a dict and the
    other glued together (``1aparilu``).
    """
    copied = dict(validation)
    copied["results"] = [_with_readable_samples(result) for result in validation.get("results") or []]
    return copied


def _with_readable_samples(result: Mapping[str, Any]) -> dict[str, Any]:
    details = result.get("result")
    if not isinstance(details, Mapping):
        return dict(result)
    readable = dict(details)
    for key in ("partial_unexpected_list", "unexpected_list"):
        if isinstance(details.get(key), list):
            readable[key] = [_as_tuple(value) for value in details[key]]
    if isinstance(details.get("partial_unexpected_counts"), list):
        readable["partial_unexpected_counts"] = [
            dict(count, value=_as_tuple(count["value"])) if isinstance(count, Mapping) and "value" in count else count
            for count in details["partial_unexpected_counts"]]
    return dict(result, result=readable)


def _as_tuple(value: Any) -> Any:
    """A compound sample (dict of column -> value, or list of values) as tuple text; anything else as is."""
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list):
        return f"({', '.join(map(repr, value))}{',' if len(value) == 1 else ''})"
    return value


def escape_validation(validation: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a validation result dict with every string and dict key HTML-escaped (:func:`escape_values`).

    Only the expectations' ``kwargs.row_condition`` stays as written: GE parses it while rendering,
    and shows it only as string-template parameters, which the views of :func:`_view` escape.
    """
    escaped = escape_values(validation)
    for original, result in zip(validation.get("results") or [], escaped.get("results") or [], strict=True):
        kwargs = (original.get("expectation_config") or {}).get("kwargs") or {}
        for key in PARSED_BY_GE & kwargs.keys():
            result["expectation_config"]["kwargs"][key] = kwargs[key]
    return escaped


def escape_values(value: Any) -> Any:
    """A copy of ``value`` with every string, and every dict key, HTML-escaped (quotes included)."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, Mapping):
        return {escape_values(key): escape_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [escape_values(item) for item in value]
    return value


def escape_once(value: Any) -> Any:
    """``value`` HTML-escaped if a string, leaving character references as they are.

    Idempotent: a string :func:`escape_values` escaped is returned unchanged, a raw one is escaped.
    """
    if not isinstance(value, str):
        return value
    escaped = BARE_AMPERSAND.sub("&amp;", value)
    return escaped.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#x27;")
