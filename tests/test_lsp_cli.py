"""`leadscore lsp` without its extra: one line naming the extra, exit 1."""

from __future__ import annotations

import sys

from click.testing import CliRunner

from leadscore.cli import main


def test_lsp_without_the_extra_says_which_to_install(monkeypatch):
    for name in [m for m in sys.modules if m == "pygls" or m.startswith(("pygls.", "leadscore.lsp.server"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pygls", None)        # `import pygls` now fails
    result = CliRunner().invoke(main, ["lsp"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "pip install 'leadscore[lsp]'" in result.output
