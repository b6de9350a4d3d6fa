"""The language server's features answer at every position of valid, broken and
cut-off models without raising (in process; test_lsp.py checks the answers)."""

from __future__ import annotations

import pathlib

import pytest

pytest.importorskip("lsprotocol", reason="the lsp extra is not installed")

from leadscore.lsp import actions, completion, hover, navigation, symbols  # noqa: E402
from leadscore.lsp.documents import Documents  # noqa: E402

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
TEXT = (EXAMPLES / "saas.score").read_text(encoding="utf-8")
VERSIONS = {
    "valid": TEXT,
    "broken": TEXT[:len(TEXT) // 2] + "\nrule broken: +5 when (\n" + TEXT[len(TEXT) // 2:],
    "cut": TEXT[:len(TEXT) // 3],
    "empty": "",
}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_feature_answers_everywhere(version):
    text = VERSIONS[version]
    path = str(EXAMPLES / "saas.score")
    analyzed = Documents(lambda uri: None).analyze("file://" + path, path, text, 1)
    symbols.outline(analyzed)
    symbols.folding(analyzed)
    for offset in range(0, len(text) + 1, 2):
        hover.hover_text(analyzed, offset)
        completion.complete(analyzed, offset)
        navigation.definition(analyzed.index, offset)
        navigation.references(analyzed.index, offset)
        actions.fixes(analyzed, offset, offset)
        try:
            navigation.rename(analyzed.index, offset, "renamed")
        except navigation.RenameRefused:
            pass


@pytest.mark.parametrize("cut", [None, 3, 2])
def test_every_feature_answers_everywhere_in_a_tests_file(cut):
    path = EXAMPLES / "saas.tests"
    text = path.read_text(encoding="utf-8")
    text = text if cut is None else text[:len(text) // cut]
    documents = Documents(lambda uri: None)
    analyzed = documents.analyze(path.as_uri(), str(path), text, 1)
    assert analyzed.model is not None
    symbols.outline(analyzed)
    symbols.folding(analyzed)
    for offset in range(0, len(text) + 1, 2):
        hover.hover_in_tests(analyzed, offset)
        completion.complete_tests(analyzed, offset)
        navigation.definition_in_tests(analyzed, offset)
