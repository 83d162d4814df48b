"""The report page's frame, style and script, inline: the page loads nothing.

The Content-Security-Policy allows no source at all except this one inline script (by its hash)
and inline styles: were a value ever left unescaped, the browser would still run no script of it.
"""

from __future__ import annotations

import base64
import hashlib

STYLE = """
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto; padding: 16px 24px;
       max-width: 1500px; color: #111827; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 17px; margin: 24px 0 8px; } h3 { font-size: 15px; }
dl.facts { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0 0 8px; }
dl.facts dt { color: #6b7280; } dl.facts dd { margin: 0 0 0 4px; font-weight: 600; }
dl.facts dt::after { content: ":"; }
pre { white-space: pre-wrap; word-break: break-word; background: #f9fafb; padding: 6px 8px; margin: 0;
      font-size: 12px; max-height: 320px; overflow: auto; }
.status { font-size: 13px; padding: 2px 8px; border-radius: 10px; vertical-align: middle; }
.status.succeeded { background: #d1fae5; color: #065f46; } .status.failed, .status.timed-out, .status.aborted {
  background: #fee2e2; color: #991b1b; } .status.running { background: #dbeafe; color: #1e40af; }
.failure { border: 2px solid #dc2626; background: #fef2f2; padding: 8px 14px; border-radius: 6px; }
.failure h2 { margin-top: 4px; color: #991b1b; } .failure .error { font-weight: 700; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 14px; padding: 0; }
.swatch, .bar-key { display: inline-block; width: 14px; height: 14px; border: 2px solid; border-radius: 3px;
                    vertical-align: -3px; margin-right: 5px; }
.layout { display: flex; gap: 16px; align-items: flex-start; }
#graph { flex: 1 1 auto; overflow: auto; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px; }
#graph svg { max-width: 100%; height: auto; }
#panel { flex: 0 0 380px; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 12px; position: sticky;
         top: 8px; max-height: 95vh; overflow: auto; }
#panel dt { color: #6b7280; font-size: 12px; margin-top: 6px; } #panel dd { margin: 0; }
.hidden { display: none; }
g.state { cursor: pointer; } g.state:focus { outline: none; }
g.state.selected > path, g.state.selected > polygon { stroke-width: 3px; }
g.state > path, g.state > polygon { stroke-width: 1.6px; }
.succeeded > path, .succeeded > polygon { fill: #d1fae5; stroke: #059669; }
.swatch.succeeded { background: #d1fae5; border-color: #059669; }
.retried > path, .retried > polygon { fill: #fef3c7; stroke: #d97706; }
.swatch.retried { background: #fef3c7; border-color: #d97706; }
.caught > path, .caught > polygon { fill: #ffedd5; stroke: #ea580c; }
.swatch.caught { background: #ffedd5; border-color: #ea580c; }
.failed > path, .failed > polygon { fill: #fee2e2; stroke: #dc2626; }
.swatch.failed { background: #fee2e2; border-color: #dc2626; }
.running > path, .running > polygon { fill: #dbeafe; stroke: #2563eb; }
.swatch.running { background: #dbeafe; border-color: #2563eb; }
.not-entered > path, .not-entered > polygon { fill: #f9fafb; stroke: #9ca3af; stroke-dasharray: 4 3; }
.swatch.not-entered { background: #f9fafb; border-color: #9ca3af; border-style: dashed; }
.not-entered > text { fill: #6b7280; }
.swatch.catch-edge { border-style: dashed; border-color: #dc2626; }
.gantt { border: 1px solid #e5e7eb; border-radius: 6px; padding: 6px; }
.gantt .row { display: flex; align-items: center; height: 22px; }
.gantt .label { flex: 0 0 220px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 12px; }
.gantt .track { position: relative; flex: 1 1 auto; height: 14px; background: #f3f4f6; border-radius: 3px; }
.bar { position: absolute; top: 0; height: 14px; border-radius: 3px; }
.bar.ok, .bar-key.ok { background: #10b981; border-color: #059669; }
.bar.failed, .bar-key.failed { background: #ef4444; border-color: #dc2626; }
.bar.retry-wait, .bar-key.retry-wait { background: repeating-linear-gradient(45deg, #fcd34d, #fcd34d 4px,
  #fef3c7 4px, #fef3c7 8px); border-color: #d97706; }
.bar.wait, .bar-key.wait { background: #93c5fd; border-color: #2563eb; }
table { border-collapse: collapse; margin: 6px 0; } th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 10px;
  text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict.failed h3 { color: #991b1b; } .verdict.passed h3 { color: #065f46; }
"""

SCRIPT = """
(function () {
  "use strict";
  var details = JSON.parse(document.getElementById("state-details").textContent);
  var title = document.getElementById("panel-name");
  var fields = document.getElementById("panel-fields");
  var selected = null;
  function show(node) {
    if (selected) { selected.classList.remove("selected"); }
    selected = node;
    node.classList.add("selected");
    var state = details[node.id];
    if (!state) {
      title.textContent = node.querySelector("text").textContent + ": not entered";
      fields.classList.add("hidden");
      return;
    }
    title.textContent = state.name;
    fields.classList.remove("hidden");
    fields.querySelectorAll("pre[data-field]").forEach(function (pre) {
      pre.textContent = state[pre.getAttribute("data-field")] || "";
    });
  }
  var nodes = document.querySelectorAll("#graph g.state");
  nodes.forEach(function (node) {
    node.setAttribute("tabindex", "0");
    node.addEventListener("click", function () { show(node); });
    node.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { show(node); }
    });
  });
  if (location.hash.indexOf("#state=") === 0) {
    var wanted = decodeURIComponent(location.hash.slice(7));
    nodes.forEach(function (node) {
      if (details[node.id] && details[node.id].name === wanted) { show(node); }
    });
  }
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
script-src '{script_hash}'">
<title>{title}</title><style>{style}</style></head>
<body>
{body}
<script type="application/json" id="state-details">{data}</script>
<script>{script}</script>
</body></html>
"""


def script_hash() -> str:
    """The CSP source of ``SCRIPT``: ``sha256-<base64 of its digest>``."""
    return "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
