"""The execution report in headless Chromium, network blocked: one page load per execution.

Each load selects a state through the page's ``#state=`` link, takes a screenshot, and asserts in
the DOM that every state's node carries the class its history gives it, that the details panel
shows the selected state's values as text, that no hostile value ran (none set ``data-pwned``) or
became an element, and that the page requested nothing but itself.

Needs /usr/bin/chromium: ``scripts/install-chromium.sh``.
"""

from __future__ import annotations

import json
import struct

import pytest
from view_browser import Browser
from view_executions import EXPECTED, executions  # noqa: F401 - executions is a fixture

from orchestration.views.report import report_key

pytestmark = pytest.mark.slow

SELECTED = {"succeeded": "Conform", "quality": "DataQualityFailed", "caught": "Enrich"}
CLASSES = """JSON.stringify(Array.from(document.querySelectorAll('#graph g.state')).map(
  node => [node.querySelector('text').textContent, node.getAttribute('class')]))"""
PANEL = """JSON.stringify(Object.fromEntries([['name', document.getElementById('panel-name').textContent]].concat(
  Array.from(document.querySelectorAll('#panel pre[data-field]')).map(
    pre => [pre.getAttribute('data-field'), pre.textContent]))))"""
INJECTED = """JSON.stringify({pwned: document.documentElement.getAttribute('data-pwned'),
  images: document.images.length, scripts: document.scripts.length,
  javascriptLinks: Array.from(document.links).filter(a => a.protocol === 'javascript:').length,
  dataDocs: Array.from(document.links).map(a => a.getAttribute('href'))})"""


@pytest.fixture(scope="module")
def browser():
    opened = Browser()
    yield opened
    opened.close()


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_the_report_renders_offline_with_each_state_in_its_colour(browser, executions, scenario,  # noqa: F811
                                                                  tmp_path_factory):
    page = executions.root / report_key(scenario)
    requests = browser.load(f"{page.as_uri()}#state={SELECTED[scenario]}")
    shot = tmp_path_factory.mktemp("screenshots") / f"{scenario}.png"
    browser.screenshot(shot)

    assert requests and all(url.startswith(page.as_uri()) for url in requests)  # the page, nothing else
    classes = {name: set(value.split()) for name, value in json.loads(browser.evaluate(CLASSES))}
    for state, status in EXPECTED[scenario].items():
        assert status in classes[state], (state, classes[state])
    panel = json.loads(browser.evaluate(PANEL))
    assert panel["name"] == SELECTED[scenario] and panel["status"] == EXPECTED[scenario][SELECTED[scenario]]
    assert "<script>document" in panel["input"]  # the execution input, shown as text
    injected = json.loads(browser.evaluate(INJECTED))
    assert injected == {"pwned": None, "images": 0, "scripts": 2, "javascriptLinks": 0,
                        "dataDocs": ["../Validate/quality/index.html"]}
    width, height = struct.unpack(">II", shot.read_bytes()[16:24])  # the PNG's IHDR
    assert width > 1200 and height > 1500  # the whole page, graph to quality table
