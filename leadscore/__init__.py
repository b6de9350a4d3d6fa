"""leadscore: a declarative language for lead scoring.

    import leadscore
    model = leadscore.load("model.score")
    result = model.score(lead, events=[...], now="2026-11-20T00:00:00Z")

The front end (and Lark) is imported only when a model is loaded from
text, so a module written by `leadscore compile` imports just the runtime:
the names below load their module when first used (`__getattr__`), and
`dir(leadscore)` lists the public API (`__all__`), nothing else.
"""

from __future__ import annotations

import importlib as _importlib
from importlib.metadata import PackageNotFoundError as _NotInstalled, version as _version

try:
    __version__ = _version("leadscore")
except _NotInstalled:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

#: every public name, and the module that defines it
_PUBLIC = {
    "load": ".api", "loads": ".api", "ModelError": ".api", "compile_analysis": ".api",
    "Diagnostic": ".dsl.diagnostics",
    "Model": ".runtime.model", "InputError": ".runtime.model",
    "ScoreResult": ".runtime.results", "Contribution": ".runtime.results",
    "CampaignResult": ".runtime.results", "Threshold": ".runtime.results", "Input": ".runtime.results",
    "score_file": ".batch.filescore", "ScoredFile": ".batch.filescore",
    "Summary": ".batch.batch", "ReadError": ".batch.io",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(_importlib.import_module(_PUBLIC[name], __name__), name)
        globals()[name] = value          # found once; later uses skip this function
        return value
    raise AttributeError(f"module 'leadscore' has no attribute {name!r}")


def __dir__() -> list:
    return list(__all__)
