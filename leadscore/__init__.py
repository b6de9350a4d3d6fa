"""leadscore: a declarative language for lead scoring.

    import leadscore
    model = leadscore.load("model.score")
    result = model.score(lead, events=[...], now="2026-11-20T00:00:00Z")
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version as _version

from .api import ModelError, compile_analysis, load, loads
from .runtime.model import InputError, Model
from .runtime.results import CampaignResult, Contribution, ScoreResult
from .dsl.diagnostics import Diagnostic

try:
    __version__ = _version("leadscore")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["CampaignResult", "Contribution", "Diagnostic", "InputError", "Model", "ModelError",
           "ScoreResult", "compile_analysis", "load", "loads", "__version__"]
