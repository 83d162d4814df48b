"""A state machine definition drawn as the Step Functions console draws it: DOT, SVG or Mermaid.

    baton graph flights --format svg > flights.svg     # Graphviz dot lays it out
    baton graph flights --format mermaid                # for a README or a pull request

The definition becomes a ``Diagram`` (nodes, groups, edges); Graphviz's ``dot`` lays it out (the
``graphviz`` binding calls the binary that ``scripts/install-graphviz.sh`` installs). A Parallel's
branches and a Map's iteration are groups (clusters) between the state's node and a join point;
Choice edges carry their rule, Catch edges are dashed and red. Each state node has the SVG id
``state-N`` and, when statuses are given, the class of its status (see ``orchestration.views.visits``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import graphviz

from baton.errors import ArgumentError

FORMATS = ("svg", "dot", "mermaid")
SHAPES = {"Choice": "diamond", "Succeed": "box", "Fail": "box", "Wait": "box", "Pass": "box", "Task": "box",
          "Parallel": "box", "Map": "box"}
LABEL_LIMIT = 80
COMPARISONS = {"Equals": "==", "GreaterThan": ">", "GreaterThanEquals": ">=", "LessThan": "<",
               "LessThanEquals": "<=", "Matches": "matches", "IsPresent": "is present", "IsNull": "is null",
               "IsString": "is string", "IsNumeric": "is numeric", "IsBoolean": "is boolean",
               "IsTimestamp": "is timestamp"}


@dataclass
class Node:
    id: str
    name: str
    kind: str  # a state type, or Start, End, Join
    group: str | None


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # next, choice, default, catch
    label: str = ""


@dataclass
class Group:
    id: str
    label: str
    parent: str | None


@dataclass
class Diagram:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # state name -> node id

    def node(self, name: str, kind: str, group: str | None, state: bool = True) -> str:
        node_id = f"state-{len(self.ids)}" if state else f"point-{kind.lower()}-{len(self.nodes)}"
        if state:
            self.ids[name] = node_id
        self.nodes.append(Node(node_id, name, kind, group))
        return node_id


def diagram_of(definition: dict[str, Any]) -> Diagram:
    """The nodes, groups and edges of a definition (names are kept as they are; renderers escape them)."""
    diagram = Diagram()
    start = diagram.node("Start", "Start", None, state=False)
    end = diagram.node("End", "End", None, state=False)
    first = _machine(diagram, definition, None, end)
    diagram.edges.insert(0, Edge(start, first, "next"))
    return diagram


def _machine(diagram: Diagram, machine: dict[str, Any], group: str | None, exit_to: str) -> str:
    """Add the states of a machine (or branch) to ``diagram``; return its StartAt's node id."""
    states = {name: machine["States"][name] for name in _reading_order(machine)}
    for name, spec in states.items():
        diagram.node(name, spec["Type"], group)
    for name, spec in states.items():
        _edges(diagram, name, spec, group, exit_to)
    return diagram.ids[machine["StartAt"]]


def _reading_order(machine: dict[str, Any]) -> list[str]:
    """State names breadth first from StartAt (Next, then Choices, Default, Catch), then any unreachable:
    the order in which dot places nodes of a rank, whatever the order of the definition's keys."""
    order, pending = [], [machine["StartAt"]]
    while pending:
        name = pending.pop(0)
        if name in order or name not in machine["States"]:
            continue
        order.append(name)
        spec = machine["States"][name]
        pending += [spec.get("Next"), *(r.get("Next") for r in spec.get("Choices", [])), spec.get("Default"),
                    *(c.get("Next") for c in spec.get("Catch", []))]
        pending = [n for n in pending if n]
    return order + [n for n in machine["States"] if n not in order]


def _edges(diagram: Diagram, name: str, spec: dict[str, Any], group: str | None, exit_to: str) -> None:
    ids, source = diagram.ids, diagram.ids[name]
    after = ids[spec["Next"]] if "Next" in spec else exit_to
    if spec["Type"] in ("Parallel", "Map"):
        join = diagram.node(f"{name} join", "Join", group, state=False)
        branches = spec.get("Branches") or [spec.get("ItemProcessor") or spec.get("Iterator")]
        for index, branch in enumerate(branches):
            label = f"Branch {index + 1}" if spec["Type"] == "Parallel" else f"{name}: each item"
            inner = f"{source}-g{index}"
            diagram.groups.append(Group(inner, label, group))
            diagram.edges.append(Edge(source, _machine(diagram, branch, inner, join), "next"))
        diagram.edges.append(Edge(join, after, "next"))
    elif spec["Type"] == "Choice":
        for rule in spec.get("Choices", []):
            diagram.edges.append(Edge(source, ids[rule["Next"]], "choice", _condition(rule)))
        if "Default" in spec:
            diagram.edges.append(Edge(source, ids[spec["Default"]], "default", "Default"))
    else:
        diagram.edges.append(Edge(source, after, "next"))
    for catcher in spec.get("Catch", []):
        diagram.edges.append(Edge(source, ids[catcher["Next"]], "catch", ", ".join(catcher.get("ErrorEquals", []))))


def _condition(rule: dict[str, Any]) -> str:
    """A Choice rule in a few words: ``$.verdict.passed == true``, ``not (...)``, a JSONata Condition."""
    if "Condition" in rule:
        text = str(rule["Condition"])
    elif "And" in rule or "Or" in rule:
        word = "and" if "And" in rule else "or"
        text = f" {word} ".join(f"({_condition(r)})" for r in rule.get("And") or rule.get("Or"))
    elif "Not" in rule:
        text = f"not ({_condition(rule['Not'])})"
    else:
        text = _comparison(rule)
    return text if len(text) <= LABEL_LIMIT else text[:LABEL_LIMIT - 1] + "…"


def _comparison(rule: dict[str, Any]) -> str:
    for key, value in rule.items():
        if key in ("Variable", "Next", "Assign", "Comment"):
            continue
        path = key.endswith("Path") and key not in ("IsPresent",)
        operator = key[:-4] if path else key
        for prefix in ("String", "Numeric", "Boolean", "Timestamp"):
            operator = operator.removeprefix(prefix)
        symbol = COMPARISONS.get(operator, operator)
        if operator.startswith("Is") and not path:  # IsPresent: true reads "is present"
            return f"{rule.get('Variable', '')} {symbol if value else symbol.replace('is ', 'is not ')}"
        shown = value if path else json.dumps(value)
        return f"{rule.get('Variable', '')} {symbol} {shown}"
    return str(rule.get("Variable", ""))


# -- Graphviz ------------------------------------------------------------------------------
def to_graphviz(diagram: Diagram, statuses: dict[str, str] | None = None,
                notes: dict[str, str] | None = None) -> graphviz.Digraph:
    """The diagram as a Graphviz digraph; ``statuses`` (state name -> status) become node classes,
    ``notes`` (state name -> text, e.g. ``3 attempts``) a second line of the label."""
    dot = graphviz.Digraph("execution", graph_attr={"rankdir": "TB", "nodesep": "0.35", "ranksep": "0.4",
                                                    "fontname": "Helvetica", "bgcolor": "transparent"},
                           node_attr={"fontname": "Helvetica", "fontsize": "11", "style": "rounded,filled",
                                      "fillcolor": "#ffffff", "color": "#8a8f98"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#6b7280"})
    subgraphs: dict[str | None, graphviz.Digraph] = {None: dot}
    for group in diagram.groups:
        subgraphs[group.id] = graphviz.Digraph(
            f"cluster_{group.id}", graph_attr={"label": _label(group.label), "style": "dashed,rounded",
                                               "color": "#9ca3af", "fontsize": "10", "class": "group"})
    for node in diagram.nodes:
        subgraphs[node.group].node(node.id, **_node_attributes(node, statuses, (notes or {}).get(node.name)))
    for parent in _bottom_up(diagram.groups):
        subgraphs[parent.parent].subgraph(subgraphs[parent.id])
    for edge in diagram.edges:
        dot.edge(edge.source, edge.target, **_edge_attributes(edge))
    return dot


def _bottom_up(groups: list[Group]) -> list[Group]:
    """Groups deepest first, so a cluster holds its inner clusters before it joins its parent."""
    depth = {}
    by_id = {g.id: g for g in groups}
    for group in groups:
        level, parent = 0, group.parent
        while parent is not None:
            level, parent = level + 1, by_id[parent].parent
        depth[group.id] = level
    return sorted(groups, key=lambda g: -depth[g.id])


def _node_attributes(node: Node, statuses: dict[str, str] | None, note: str | None) -> dict[str, str]:
    if node.kind == "Join":
        return {"label": "", "shape": "point", "width": "0.08", "class": "join"}
    if node.kind in ("Start", "End"):
        return {"label": node.kind, "shape": "circle", "fontsize": "9", "width": "0.45", "fixedsize": "true",
                "class": "terminal"}
    status = statuses.get(node.name, "not-entered") if statuses is not None else None
    classes = " ".join(c for c in ("state", node.kind.lower(), status) if c)
    label = _label(node.name) + (f"\\n{_label(note)}" if note else "")
    return {"label": graphviz.nohtml(label), "shape": SHAPES.get(node.kind, "box"), "id": node.id,
            "class": classes}


def _edge_attributes(edge: Edge) -> dict[str, str]:
    attributes = {"class": f"edge-{edge.kind}"}
    if edge.label:
        attributes["label"] = _label(edge.label)
    if edge.kind == "catch":
        # constraint=false: a handler is placed beside the main path, not ranked below every catcher
        attributes |= {"style": "dashed", "color": "#dc2626", "fontcolor": "#b91c1c", "constraint": "false"}
    elif edge.kind == "default":
        attributes |= {"style": "dotted"}
    return attributes


def _label(text: str) -> str:
    """Text as a Graphviz label shows it: backslashes kept (no ``\\n``), no HTML label, entities literal."""
    return graphviz.escape(text.replace("&", "&amp;"))


def svg(diagram: Diagram, statuses: dict[str, str] | None = None, notes: dict[str, str] | None = None) -> str:
    """The laid-out SVG element alone (no XML declaration or doctype), to inline in a page."""
    # quiet: dot 2.43 warns on stderr about spline routing around clusters; its errors still raise
    text = to_graphviz(diagram, statuses, notes).pipe(format="svg", encoding="utf-8", quiet=True)
    return text[text.index("<svg"):]


# -- Mermaid -------------------------------------------------------------------------------
MERMAID_SHAPES = {"Choice": ('{"', '"}'), "Start": ('(("', '"))'), "End": ('(("', '"))'), "Join": ('(("', '"))')}


def mermaid(diagram: Diagram) -> str:
    """A Mermaid flowchart: groups as subgraphs, Catch edges dotted and red (linkStyle)."""
    lines = ["flowchart TD"]
    members: dict[str | None, list[Node]] = {}
    for node in diagram.nodes:
        members.setdefault(node.group, []).append(node)
    inner: dict[str | None, list[Group]] = {}
    for group in diagram.groups:
        inner.setdefault(group.parent, []).append(group)

    def emit(group: str | None, indent: str) -> None:
        for node in members.get(group, []):
            left, right = MERMAID_SHAPES.get(node.kind, ('["', '"]'))
            label = " " if node.kind == "Join" else node.name
            lines.append(f"{indent}{_mermaid_id(node.id)}{left}{_mermaid_text(label)}{right}")
        for child in inner.get(group, []):
            lines.append(f'{indent}subgraph {_mermaid_id(child.id)}["{_mermaid_text(child.label)}"]')
            emit(child.id, indent + "  ")
            lines.append(f"{indent}end")

    emit(None, "  ")
    catches = []
    for index, edge in enumerate(diagram.edges):
        arrow = "-.->" if edge.kind in ("catch", "default") else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {_mermaid_id(edge.source)} {arrow}{label} {_mermaid_id(edge.target)}")
        if edge.kind == "catch":
            catches.append(str(index))
    if catches:
        lines.append(f"  linkStyle {','.join(catches)} stroke:#dc2626,color:#b91c1c")
    return "\n".join(lines) + "\n"


def _mermaid_id(node_id: str) -> str:
    return node_id.replace("-", "_")


def _mermaid_text(text: str) -> str:
    """Mermaid's entity codes for what would end a quoted label or be read as markup."""
    for char, code in (("#", "#35;"), ("&", "#38;"), ('"', "#34;"), ("<", "#60;"), (">", "#62;"), ("|", "#124;")):
        text = text.replace(char, code)
    return text


def render(definition: dict[str, Any], form: str) -> str:
    """``baton graph``: the definition alone as svg, dot or mermaid."""
    diagram = diagram_of(definition)
    if form == "svg":
        return svg(diagram)
    if form == "dot":
        return to_graphviz(diagram).source
    if form == "mermaid":
        return mermaid(diagram)
    raise ArgumentError(f"unknown graph format {form!r}; formats: {', '.join(FORMATS)}", argument="--format")
