"""`load` and `loads`: parse → check → compile → `Model`."""

from __future__ import annotations

import functools
import os

import attrs

from .compiler import codegen
from .compiler.closures import compile_model
from .dsl import Analysis, analyze, analyze_file, without_gc
from .runtime.model import Model, Recipe

BACKENDS = ("codegen", "closures")
DEFAULT_BACKEND = "codegen"


class ModelError(Exception):
    """An invalid model; `diagnostics` holds every problem found (INTERFACE.md §2)."""

    def __init__(self, analysis: Analysis):
        self.analysis = analysis
        self.diagnostics = analysis.diagnostics
        errors = analysis.errors
        first = errors[0] if errors else None
        summary = f"{len(errors)} error(s)" + (f"; first: {first.file}:{first.line}:{first.column}: "
                                                f"{first.message}" if first else "")
        super().__init__(summary)

    def render(self) -> str:
        return self.analysis.render()


def compile_analysis(analysis: Analysis, backend: str = DEFAULT_BACKEND) -> Model:
    """A checked analysis → a Model scored by `backend`: "codegen" (generated Python) or "closures"."""
    if analysis.model is None:
        raise ModelError(analysis)
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    checked = analysis.model
    if backend == "codegen":
        generated = codegen.generate(checked, lazy=True)     # `_rule_N` text written if first needed
        module = codegen.load_generated(generated, f"<leadscore {checked.filename}>")
        return module.MODEL
    return Model(checked.name, checked.version, compile_model(checked), checked.fields,
                 checked.events, source=analysis.source.filename)


def load(path: str | os.PathLike, backend: str = DEFAULT_BACKEND) -> Model:
    """Load a `.score` file; raises ModelError listing every diagnostic if it is invalid."""
    return load_analyzed(path, backend)[0]


@without_gc
def load_analyzed(path: str | os.PathLike, backend: str = DEFAULT_BACKEND) -> tuple:
    """(the Model, its Analysis): `load`, for a caller that also needs the checked model (the SQL
    engines' query), so that the file is read and analyzed once."""
    analysis = analyze_file(path)
    return with_recipe(compile_analysis(analysis, backend), analysis,
                       os.path.dirname(os.path.abspath(path)), backend), analysis


@without_gc
def loads(text: str, name: str | None = None, *, base_dir: str | os.PathLike | None = None,
          backend: str = DEFAULT_BACKEND) -> Model:
    """Load `.score` text; `name` is used as the file name in diagnostics (and as the model's default name)."""
    filename = f"{name}.score" if name and not name.endswith(".score") else (name or "<string>")
    base_dir = os.path.abspath(os.getcwd() if base_dir is None else base_dir)
    analysis = analyze(text, filename, base_dir)
    return with_recipe(compile_analysis(analysis, backend), analysis, base_dir, backend)


def with_recipe(model: Model, analysis: Analysis, base_dir: str, backend: str) -> Model:
    """The model, able to be pickled: as its source text, file name, folder and backend.

    The folder is absolute, so a process started elsewhere reads the same
    `list … from` files."""
    recipe = Recipe(remade, (analysis.source.text, analysis.source.filename, base_dir, backend))
    return attrs.evolve(model, recipe=recipe)


@functools.lru_cache(maxsize=16)
@without_gc
def remade(text: str, filename: str, base_dir: str, backend: str) -> Model:
    """A pickled model made again from its recipe. A process makes each recipe once,
    however many tasks of a process pool carry the model."""
    analysis = analyze(text, filename, base_dir)
    return with_recipe(compile_analysis(analysis, backend), analysis, base_dir, backend)
