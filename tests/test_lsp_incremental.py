"""The language server re-parses only the declarations a change touched
(leadscore/lsp/incremental.py); what it makes of each version must be what
`analyze` makes of it: the same AST, the same diagnostics at the same places."""

from __future__ import annotations

import pathlib

import pytest

pytest.importorskip("lsprotocol", reason="the lsp extra is not installed")

from leadscore.dsl import analyze  # noqa: E402
from leadscore.lsp.incremental import Reparser  # noqa: E402

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def edits(text: str):
    """A sequence of versions a person might type through: valid, broken, moved, fixed."""
    rule = text.index("\nrule ") + 1
    yield text
    yield text[:rule] + "# a comment that moves everything below\n" + text[rule:]
    yield text[:rule] + "rule broken: +5 when\n" + text[rule:]                 # a syntax error
    yield text[:rule] + "rule typo: +5 when employes > 3\n" + text[rule:]      # an unknown name
    yield text.replace("\n", "\n\n", 3)                                        # lines added at the top
    yield text + 'rule last: +1 when "a\n'                                     # an unclosed string
    yield text


@pytest.mark.parametrize("name", ["b2b.score", "saas.score", "x-education.score"])
def test_every_version_is_analyzed_as_analyze_does(name):
    path = EXAMPLES / name
    reparser = Reparser()
    for version in edits(path.read_text(encoding="utf-8")):
        mine = reparser.analyze(version, str(path), str(EXAMPLES))
        whole = analyze(version, str(path), str(EXAMPLES))
        assert mine.diagnostics == whole.diagnostics
        assert mine.tree == whole.tree
        assert (mine.model is None) == (whole.model is None)
        assert mine.model == whole.model


def test_an_unchanged_declaration_is_not_parsed_again(monkeypatch):
    text = (EXAMPLES / "saas.score").read_text(encoding="utf-8")
    reparser = Reparser()
    reparser.analyze(text, "saas.score", None)
    parsed = []
    import leadscore.lsp.incremental as incremental
    real = incremental.to_ast
    monkeypatch.setattr(incremental, "to_ast", lambda source, reporter: parsed.append(source.text) or
                        real(source, reporter))
    reparser.analyze(text.replace("+30 when any demo_request", "+35 when any demo_request"), "saas.score", None)
    assert parsed == ['rule demo: +35 when any demo_request, because "asked for a demo"\n\n'
                      '# ---- totals and hand-off ---------------------------------------------------\n\n']
