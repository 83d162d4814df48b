"""A deployment to generate definitions with in tests: the local environment's, with another workflow bucket."""

from __future__ import annotations

import dataclasses
from typing import Any

import conf
from orchestration.deployment import Deployment


def deployment(workflow_bucket: str, **changes: Any) -> Deployment:
    """conf/local.json's deployment in ``workflow_bucket``, with ``changes`` (fields of ``Deployment``)."""
    return dataclasses.replace(Deployment.from_settings(conf.load("local"), workflow_bucket), **changes)
