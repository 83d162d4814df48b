"""Report files are written readable by everyone who can read the folder (0644), like any file a tool writes.

``LocalStorage.write_bytes`` writes through a temporary file, which ``mkstemp`` creates 0600.
"""

from __future__ import annotations

import stat

from baton.storage import LocalStorage
from quality.report import write_report_site

VALIDATION = {
    "success": True, "results": [], "suite_name": "events", "suite_parameters": {},
    "statistics": {"evaluated_expectations": 0, "successful_expectations": 0, "unsuccessful_expectations": 0,
                   "success_percent": None},
    "meta": {"great_expectations_version": "1.24.1", "validation_time": "2026-12-05T20:00:00+00:00"},
}


def test_report_files_are_readable_by_all(tmp_path):
    keys = write_report_site(LocalStorage(tmp_path).write_bytes, "quality", {"events": VALIDATION})
    modes = {key: stat.S_IMODE((tmp_path / key).stat().st_mode) for key in keys}
    assert modes and set(modes.values()) == {0o644}, {k: oct(m) for k, m in modes.items() if m != 0o644}
