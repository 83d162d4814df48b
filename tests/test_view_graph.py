"""``baton graph`` (a definition drawn as DOT, SVG and Mermaid: groups, Choice labels, Catch edges,
escaping) and ``baton report``."""

from __future__ import annotations

import re

import pytest
from view_executions import make_execution

from baton.errors import ArgumentError
from baton.storage import LocalStorage
from orchestration import cli
from orchestration.views import graph
from orchestration.views.report import report_key

NAME = '<b onmouseover="x()">A|"B"</b> \\n # &amp;'
DEFINITION = {
    "StartAt": "Route",
    "States": {
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.kind", "StringEquals": "csv", "Next": "Both"},
                                                {"Variable": "$.ready", "IsPresent": False, "Next": NAME}],
                  "Default": NAME},
        "Both": {"Type": "Parallel", "Next": "Done", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                 "Branches": [{"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                              {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}}]},
        NAME: {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "E"},
    },
}


def test_parallel_branches_are_groups_choices_are_labelled_and_catch_edges_are_distinct():
    diagram = graph.diagram_of(DEFINITION)
    groups = {g.label: [n.name for n in diagram.nodes if n.group == g.id] for g in diagram.groups}
    assert groups == {"Branch 1": ["Left"], "Branch 2": ["Right"]}
    labels = {(e.kind, e.label) for e in diagram.edges if e.kind != "next"}
    assert labels == {("choice", '$.kind == "csv"'), ("choice", "$.ready is not present"), ("default", "Default"),
                      ("catch", "States.ALL")}
    source = graph.render(DEFINITION, "dot")
    assert source.count('subgraph "cluster_') == 2
    catch = [line for line in source.splitlines() if "edge-catch" in line]
    assert len(catch) == 1 and "style=dashed" in catch[0] and 'color="#dc2626"' in catch[0]


def test_a_state_name_is_text_in_every_format():
    svg = graph.render(DEFINITION, "svg")
    assert "<b" not in svg and "onmouseover" not in re.sub(r"<text[^>]*>[^<]*</text>", "", svg)
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;A|&quot;B&quot;&lt;/b&gt; \\n # &amp;amp;" in svg
    mermaid = graph.render(DEFINITION, "mermaid")
    assert '["#60;b onmouseover=#34;x()#34;#62;A#124;#34;B#34;#60;/b#62; \\n #35; #38;amp;"]' in mermaid
    assert "subgraph" in mermaid and "linkStyle" in mermaid and "-.->|\"States.ALL\"|" in mermaid


def test_an_unknown_format_is_refused():
    with pytest.raises(ArgumentError, match="argument --format: unknown graph format 'png'; formats: svg, dot"):
        graph.render(DEFINITION, "png")


@pytest.mark.parametrize(("form", "start"), [("mermaid", "flowchart TD"), ("dot", "digraph execution {"),
                                             ("svg", "<svg")])
def test_baton_graph_prints_the_pipeline_definition(capsys, form, start):
    assert cli.main(["graph", "tpch", "--format", form]) == 0
    out = capsys.readouterr().out
    assert out.startswith(start) and "IngestOrdersCsv" in out


def test_baton_report_writes_the_page_of_a_stored_execution(tmp_path, capsys):
    make_execution(LocalStorage(tmp_path), "caught")
    assert cli.main(["--workflow-bucket", str(tmp_path), "report", "caught"]) == 0
    page = tmp_path / report_key("caught")
    assert capsys.readouterr().out.strip() == page.as_uri() and "Failed at Enrich" in page.read_text()
    assert cli.main(["--workflow-bucket", str(tmp_path), "report", "nope"]) == 2
    assert "ExecutionDoesNotExist" in capsys.readouterr().err
