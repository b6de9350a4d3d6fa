"""The language server (`leadscore lsp`): pygls over stdio, each feature
registered here and computed by its own module.

Documents are synchronised whole or incrementally by pygls; each version is
analyzed once (documents.py). Diagnostics are published on open at once and
on change after a short pause (DEBOUNCE), so a burst of keystrokes costs one
check; every request analyzes the current version itself if the pause has not
ended yet, so an answer never comes from stale text.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..dsl.source import Source
from ..testing.check import default_tests_path
from . import actions, completion, hover, navigation, positions, symbols
from .documents import SCORE, TESTS, Documents, to_lsp
from .formatting import NotFormatted, formatted
from .lens import COMMAND, TestRuns

#: Seconds of quiet after a change before its diagnostics are computed.
DEBOUNCE = 0.15

#: The protocol's code for a request that was valid but failed (a refused rename).
REQUEST_FAILED = -32803


class RequestFailed(JsonRpcException):
    CODE = REQUEST_FAILED


class ScoreServer(LanguageServer):
    """The server, with its analyses, pending checks and test outcomes."""

    def __init__(self):
        super().__init__("leadscore", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.documents = Documents(self.read_open)
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.runs = TestRuns()

    def read_open(self, uri: str):
        document = self.workspace.text_documents.get(uri)
        return None if document is None else (document.source, document.version)

    def analyzed(self, uri: str):
        return self.documents.get(uri, to_fs_path(uri) or uri)

    def publish(self, uri: str) -> None:
        """Send a document's diagnostics; a model's change re-checks the open tests beside it."""
        self.pending.pop(uri, None)
        analyzed = self.analyzed(uri)
        if analyzed is None:
            return
        self.send_diagnostics(analyzed)
        if analyzed.kind == SCORE:
            self.republish_tests_of(analyzed.path)

    def send_diagnostics(self, analyzed) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=analyzed.uri, version=analyzed.version, diagnostics=analyzed.lsp_diagnostics()))

    def republish_tests_of(self, model_path: str) -> None:
        """A model changed: the open test files beside it are checked again."""
        tests_path = default_tests_path(model_path)
        for uri, other in list(self.documents.cache.items()):
            if other.kind == TESTS and other.path == tests_path:
                self.documents.forget(uri)
                analyzed = self.analyzed(uri)
                if analyzed is not None:
                    self.send_diagnostics(analyzed)

    def schedule(self, uri: str) -> None:
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self.pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE, self.publish, uri)


server = ScoreServer()


def analyzed_of(ls: ScoreServer, uri: str, kinds=(SCORE, TESTS)):
    analyzed = ls.analyzed(uri)
    return analyzed if analyzed is not None and analyzed.kind in kinds else None


def offset_of(analyzed, position: types.Position) -> int:
    return positions.offset(analyzed.source, position)


def span_range(analyzed, start: int, end: int) -> types.Range:
    return types.Range(start=positions.position(analyzed.source, start),
                       end=positions.position(analyzed.source, end))


def location(analyzed, occurrence) -> types.Location:
    return types.Location(uri=analyzed.uri, range=positions.to_range(analyzed.source, occurrence.span))


# ---- documents and diagnostics ---------------------------------------------------------

@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: ScoreServer, params: types.DidOpenTextDocumentParams):
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: ScoreServer, params: types.DidChangeTextDocumentParams):
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: ScoreServer, params: types.DidSaveTextDocumentParams):
    analyzed = ls.analyzed(params.text_document.uri)
    if analyzed is not None and analyzed.kind == SCORE:
        ls.republish_tests_of(analyzed.path)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ScoreServer, params: types.DidCloseTextDocumentParams):
    uri = params.text_document.uri
    waiting = ls.pending.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    ls.documents.close(uri)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


# ---- reading a model -------------------------------------------------------------------

@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: ScoreServer, params: types.HoverParams):
    analyzed = analyzed_of(ls, params.text_document.uri)
    if analyzed is None:
        return None
    answer = hover.hover_text if analyzed.kind == SCORE else hover.hover_in_tests
    found = answer(analyzed, offset_of(analyzed, params.position))
    if found is None:
        return None
    text, (start, end) = found
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
                       range=span_range(analyzed, start, end))


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=["[", "(", '"', " "]))
def on_completion(ls: ScoreServer, params: types.CompletionParams):
    analyzed = analyzed_of(ls, params.text_document.uri)
    if analyzed is None:
        return None
    answer = completion.complete if analyzed.kind == SCORE else completion.complete_tests
    items = answer(analyzed, offset_of(analyzed, params.position))
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: ScoreServer, params: types.DefinitionParams):
    analyzed = analyzed_of(ls, params.text_document.uri)
    if analyzed is None:
        return None
    if analyzed.kind == TESTS:
        found = navigation.definition_in_tests(analyzed, offset_of(analyzed, params.position))
        return model_location(ls, analyzed, found) if found is not None else None
    found = navigation.definition(analyzed.index, offset_of(analyzed, params.position))
    return location(analyzed, found) if found is not None else None


def model_location(ls: ScoreServer, analyzed, occurrence) -> types.Location:
    """Where a test file's model declares a name (the model open in the editor, or on disk)."""
    uri, _text = ls.documents.text_of(analyzed.model_path)
    return types.Location(uri=uri or from_fs_path(analyzed.model_path),
                          range=positions.to_range(analyzed.model.source, occurrence.span))


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: ScoreServer, params: types.ReferenceParams):
    analyzed = analyzed_of(ls, params.text_document.uri, (SCORE,))
    if analyzed is None:
        return None
    found = navigation.references(analyzed.index, offset_of(analyzed, params.position),
                                  params.context.include_declaration)
    in_tests = test_locations(ls, analyzed, found[0].key) if found else []
    return [location(analyzed, o) for o in found] + in_tests


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
def on_prepare_rename(ls: ScoreServer, params: types.PrepareRenameParams):
    analyzed = analyzed_of(ls, params.text_document.uri, (SCORE,))
    found = analyzed and navigation.renamable(analyzed.index, offset_of(analyzed, params.position))
    if not found:
        return None
    return types.PrepareRenamePlaceholder(range=positions.to_range(analyzed.source, found.span),
                                          placeholder=found.key.name)


@server.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
def on_rename(ls: ScoreServer, params: types.RenameParams):
    analyzed = analyzed_of(ls, params.text_document.uri, (SCORE,))
    if analyzed is None:
        return None
    try:
        found = navigation.rename(analyzed.index, offset_of(analyzed, params.position), params.new_name)
    except navigation.RenameRefused as refused:
        raise RequestFailed(f"cannot rename: {refused}") from None
    changes = {analyzed.uri: [types.TextEdit(range=positions.to_range(analyzed.source, o.span),
                                             new_text=params.new_name) for o in found]}
    for place in test_locations(ls, analyzed, found[0].key):
        changes.setdefault(place.uri, []).append(types.TextEdit(range=place.range, new_text=params.new_name))
    return types.WorkspaceEdit(changes=changes)


def test_locations(ls: ScoreServer, analyzed, key) -> list[types.Location]:
    """Where the `.tests` file beside a model (as open, or on disk) uses one of its names."""
    path = default_tests_path(analyzed.path)
    uri, text = ls.documents.text_of(path)
    if text is None:
        return []
    source = Source(text, path)
    return [types.Location(uri=uri or from_fs_path(path), range=positions.to_range(source, span))
            for span in navigation.in_tests(text, path, key)]


# ---- outline, folding, formatting, fixes ------------------------------------------------

@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_symbols(ls: ScoreServer, params: types.DocumentSymbolParams):
    analyzed = analyzed_of(ls, params.text_document.uri)
    return symbols.outline(analyzed) if analyzed is not None else None


@server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
def on_folding(ls: ScoreServer, params: types.FoldingRangeParams):
    analyzed = analyzed_of(ls, params.text_document.uri)
    return symbols.folding(analyzed) if analyzed is not None else None


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def on_formatting(ls: ScoreServer, params: types.DocumentFormattingParams):
    analyzed = analyzed_of(ls, params.text_document.uri, (SCORE,))
    if analyzed is None:
        return None
    try:
        result = formatted(analyzed)
    except NotFormatted as refused:
        raise RequestFailed(str(refused)) from None
    if result is None:
        return []
    return [types.TextEdit(range=positions.whole(analyzed.source), new_text=result)]


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def on_code_action(ls: ScoreServer, params: types.CodeActionParams):
    analyzed = analyzed_of(ls, params.text_document.uri, (SCORE,))
    if analyzed is None:
        return None
    start, end = (offset_of(analyzed, params.range.start), offset_of(analyzed, params.range.end))
    result = []
    for fix in actions.fixes(analyzed, start, end):
        edit = types.TextEdit(range=span_range(analyzed, fix.start, fix.end), new_text=fix.text)
        result.append(types.CodeAction(
            title=fix.title, kind=types.CodeActionKind.QuickFix,
            diagnostics=[to_lsp(analyzed.source, analyzed.uri, fix.diagnostic)],
            edit=types.WorkspaceEdit(changes={analyzed.uri: [edit]})))
    return result


# ---- tests -------------------------------------------------------------------------------

@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
def on_code_lens(ls: ScoreServer, params: types.CodeLensParams):
    analyzed = analyzed_of(ls, params.text_document.uri)
    return ls.runs.lenses(analyzed) if analyzed is not None else None


@server.command(COMMAND)
def run_tests(ls: ScoreServer, uri: str, case: str | None):
    """Run a model's tests (a `case` by name, or all when None); the lenses then show the outcomes."""
    analyzed = analyzed_of(ls, uri)
    if analyzed is None:
        raise RequestFailed(f"not an open .score or .tests document: {uri}")
    result = ls.runs.run(ls.documents, analyzed, case)
    message = result.get("error") or result["summary"]
    kind = types.MessageType.Error if "error" in result or result["failed"] else types.MessageType.Info
    ls.window_show_message(types.ShowMessageParams(type=kind, message=f"leadscore test: {message}"))
    if ls.client_capabilities.workspace and ls.client_capabilities.workspace.code_lens:
        ls.workspace_code_lens_refresh(None)
    return result


def main() -> None:
    server.start_io()
