"""The VS Code extension builds into a .vsix (editors/vscode/build.sh: `npm ci`, then
@vscode/vsce) holding the grammar, the manifest and the language client."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import zipfile

import pytest

EXTENSION = pathlib.Path(__file__).resolve().parent.parent / "editors" / "vscode"

pytestmark = pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")),
                                reason="node and npm are not on this machine")


def test_the_extension_builds_into_a_vsix_with_its_grammar_manifest_and_client():
    built = subprocess.run(["sh", str(EXTENSION / "build.sh")], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    with zipfile.ZipFile(EXTENSION / "leadscore-score.vsix") as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
        grammar = vsix.read("extension/syntaxes/score.tmLanguage.json")
    assert {"extension/extension.js", "extension/language-configuration.json",
            "extension/node_modules/vscode-languageclient/package.json"} <= names
    assert grammar == (EXTENSION.parent / "score.tmLanguage.json").read_bytes()
    assert manifest["main"] == "./extension.js"
    assert {lang["id"] for lang in manifest["contributes"]["languages"]} == {"leadscore", "leadscore-tests"}
