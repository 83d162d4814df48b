"""What expressions (paths, intrinsics, JSONata) need besides the state's data."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from orchestration.asl.variables import Variables


class EvalEnv(Protocol):
    """What expressions need besides the state's data: the ``$$`` context object, variables and randomness."""

    @property
    def context(self) -> dict: ...

    @property
    def rng(self) -> random.Random: ...

    @property
    def variables(self) -> Variables: ...

    def new_uuid(self) -> str: ...
