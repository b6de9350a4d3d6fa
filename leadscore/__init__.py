"""leadscore: a declarative language for lead scoring.

    import leadscore
    model = leadscore.load("model.score")
    result = model.score(lead, events=[...], now="2026-11-20T00:00:00Z")

The front end (and Lark) is imported only when a model is loaded from
text, so a module written by `leadscore compile` imports just the runtime.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version as _version

from .runtime.model import InputError, Model
from .runtime.results import CampaignResult, Contribution, ScoreResult

try:
    __version__ = _version("leadscore")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

_LAZY = {
    "load": ".api", "loads": ".api", "ModelError": ".api", "compile_analysis": ".api",
    "Diagnostic": ".dsl.diagnostics",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'leadscore' has no attribute {name!r}")


__all__ = ["CampaignResult", "Contribution", "Diagnostic", "InputError", "Model", "ModelError",
           "ScoreResult", "compile_analysis", "load", "loads", "__version__"]
