"""Human-readable reports of a validation result, rendered by Great Expectations itself.

The page is GE's own Data Docs validation page (``ValidationResultsPageRenderer`` +
``DefaultJinjaPageView``), built from the JSON dict the gate keeps, so no data context or
docs site is needed. Like every Data Docs page, it loads its CSS/JS from public CDNs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def load_validation_result(d: Mapping[str, Any]) -> Any:
    """GE's ``ExpectationSuiteValidationResult`` loaded from its JSON dict through GE's schema."""
    from great_expectations.core.expectation_validation_result import (
        expectationSuiteValidationResultSchema,
    )

    return expectationSuiteValidationResultSchema.load(dict(d))


def render_data_docs_page(validation: Mapping[str, Any]) -> str:
    """The HTML of GE's Data Docs page for one validation result dict."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    document = ValidationResultsPageRenderer().render(load_validation_result(validation))
    return DefaultJinjaPageView().render(document)
