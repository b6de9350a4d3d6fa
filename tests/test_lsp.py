"""The language server end to end: pytest-lsp starts `leadscore lsp` as a
process and a real client talks to it over stdio (docs/editors.md)."""

from __future__ import annotations

import asyncio
import sys

import pytest

pytest.importorskip("pygls", reason="the lsp extra is not installed")
pytest_lsp = pytest.importorskip("pytest_lsp", reason="pytest-lsp (the test extra) is not installed")

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

from leadscore.dsl import analyze  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="module")

MODEL = '''model "t" version 1

field country: text from "Country", unknown "n/a"
field employees: number
event page_view(url: text, seconds: number)
event demo_request
list eu = ["DE", "FR", "IT", "ES", "NL", "BE", "AT", "PL", "SE", "DK"]

group fit max 50 {
    rule big: +10 when employees >= 500
    rule europe: +5 when country in eu
}

rule pricing: +3 each page_view[url contains "pricing"], max 15, decay half_life 30d
rule demo: +30 when any demo_request

tiers: cold, hot >= 40
tiers fit: low, high >= 20
qualify mql when score >= 40 and fit >= 10

campaign webinar {
    rule attended: +20 when any demo_request
    qualify webinar_lead when score >= 20
}
'''

TESTS = '''now "2026-11-20T00:00:00Z"

test "a big European company" {
    lead { country: "DE", employees: 900 }
    expect score == 15
    expect rule big == 10
    expect campaign webinar rule attended == 0
}

test "wrong on purpose" {
    lead { employees: 10 }
    expect score == 99
}
'''


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("workspace")
    (root / "leadscore.toml").write_text('leads = "data/leads.csv"\nevents = "data/events.jsonl"\n')
    (root / "data").mkdir()
    (root / "data" / "leads.csv").write_text("id,Country,Annual Revenue\nL1,DE,10\n")
    (root / "data" / "events.jsonl").write_text('{"lead_id": "L1", "type": "demo", "at": "2026-01-01"}\n')
    return root


@pytest_lsp.fixture(scope="module", loop_scope="module",
                    config=ClientServerConfig(server_command=[sys.executable, "-m", "leadscore", "lsp"]))
async def client(lsp_client: LanguageClient, folder):
    lsp_client.lens_refreshes = 0

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh(params):                    # as VS Code does: asks for the lenses again
        lsp_client.lens_refreshes += 1

    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=folder.as_uri()))
    yield
    await lsp_client.shutdown_session()


# ---- helpers ----------------------------------------------------------------------------

async def diagnostics_of(client, uri: str, timeout: float = 10.0):
    """Wait until the server has published diagnostics for `uri` (since they were last taken)."""
    async def wait():
        while uri not in client.diagnostics:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return client.diagnostics.pop(uri)
    return await asyncio.wait_for(wait(), timeout)


async def open_doc(client, folder, name: str, text: str):
    path = folder / name
    path.write_text(text)
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="leadscore", version=1, text=text)))
    return uri, await diagnostics_of(client, uri)


def at(text: str, needle: str, nth: int = 0, shift: int = 0) -> types.Position:
    """The position of the `nth` occurrence of `needle` in `text` (plus `shift` characters)."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    index += shift
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


def doc(uri):
    return types.TextDocumentIdentifier(uri=uri)


# ---- diagnostics ------------------------------------------------------------------------

async def test_diagnostics_on_open_are_validates(client, folder):
    text = MODEL.replace("when employees >= 500", "when employes >= 500").replace("half_life 30d", "half_life 0d")
    uri, published = await open_doc(client, folder, "typo.score", text)
    expected = analyze(text, str(folder / "typo.score")).diagnostics
    assert [d.code for d in published] == [d.code for d in expected] == ["E-unknown-name", "E-duration"]
    first = published[0]
    assert first.severity == types.DiagnosticSeverity.Error
    assert first.range.start == at(text, "employes")
    assert first.range.end == at(text, "employes", shift=len("employes"))
    assert "did you mean `employees`?" in first.message
    assert first.related_information[0].message == "did you mean `employees`?"


async def test_diagnostics_follow_changes(client, folder):
    text = MODEL.replace("when employees >= 500", "when employes >= 500")
    uri, published = await open_doc(client, folder, "change.score", text)
    assert len(published) == 1
    start = at(text, "employes")
    fix = types.TextDocumentContentChangePartial(
        range=types.Range(start=start, end=types.Position(line=start.line, character=start.character + 8)),
        text="employees")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2), content_changes=[fix]))
    assert list(await diagnostics_of(client, uri)) == []


async def test_diagnostics_wait_for_a_burst_of_changes_to_end(client, folder):
    uri, published = await open_doc(client, folder, "burst.score", MODEL)
    assert list(published) == []
    where = at(MODEL, "employees", 1, shift=len("employees"))
    typo = types.TextDocumentContentChangePartial(range=types.Range(start=where, end=where), text="x")
    undo = types.TextDocumentContentChangePartial(
        range=types.Range(start=where, end=types.Position(line=where.line, character=where.character + 1)), text="")
    for version, change in ((2, typo), (3, undo)):
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[change]))
    assert list(await diagnostics_of(client, uri)) == []        # version 3's, not version 2's unknown field
    await asyncio.sleep(0.5)
    assert uri not in client.diagnostics                        # and nothing else was published


async def test_a_tests_file_is_checked_against_its_model(client, folder):
    await open_doc(client, folder, "suite.score", MODEL)
    broken = TESTS.replace("expect score == 15", "expect scor == 15")
    _, published = await open_doc(client, folder, "suite.tests", broken)
    assert len(published) == 1 and published[0].range.start.line == broken[:broken.index("scor ==")].count("\n")


async def test_ranges_count_utf16_units(client, folder):
    text = MODEL + 'rule party: +1 when country == "🎉" and employes > 1\n'
    uri, published = await open_doc(client, folder, "emoji.score", text)
    line = text.splitlines()[published[0].range.start.line]
    before = line[:line.index("employes")]
    assert published[0].range.start.character == len(before.encode("utf-16-le")) // 2 == len(before) + 1


async def test_a_model_change_rechecks_the_open_tests(client, folder):
    model_uri, _ = await open_doc(client, folder, "chain.score", MODEL)
    tests_uri, published = await open_doc(client, folder, "chain.tests", TESTS)
    assert list(published) == []
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=model_uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=MODEL.replace("rule big", "rule large"))]))
    published = await diagnostics_of(client, tests_uri)
    assert len(published) == 1 and "no rule `big`" in published[0].message


# ---- hover --------------------------------------------------------------------------------

@pytest.mark.parametrize("needle, nth, words", [
    ("country", 1, ["text", "column `Country`", '`"n/a"`']),
    ("page_view", 1, ["`url`: text", "`seconds`: number"]),
    (" eu\n", 0, ["10 value(s)", '"DE"', "and 2 more"]),
    ("pricing", 0, ["+3 for each", "at most 15 points", "halves every 30 days", "the model's total"]),
    ("europe", 0, ["+5 when", "group `fit`"]),
    ("30d", 0, ["30 days"]),
])
async def test_hover(client, folder, needle, nth, words):
    uri, _ = await open_doc(client, folder, "hover.score", MODEL)
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=doc(uri), position=at(MODEL, needle, nth, shift=1)))
    assert result is not None, needle
    for word in words:
        assert word in result.contents.value, (needle, result.contents.value)


async def test_hover_and_definition_in_a_tests_file(client, folder):
    model_uri, _ = await open_doc(client, folder, "defs.score", MODEL)
    uri, _ = await open_doc(client, folder, "defs.tests", TESTS)
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=doc(uri), position=at(TESTS, "employees", shift=1)))
    assert "field `employees`: number" in result.contents.value
    found = await client.text_document_definition_async(types.DefinitionParams(
        text_document=doc(uri), position=at(TESTS, "rule big", shift=6)))
    assert found.uri == model_uri and found.range.start == at(MODEL, "big")


# ---- completion ---------------------------------------------------------------------------

async def complete(client, folder, text: str, name: str = "complete.score"):
    """Completions at the end of `text` (appended to the model)."""
    uri, _ = await open_doc(client, folder, name, MODEL + text)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=doc(uri), position=at(MODEL + text, text, shift=len(text))))
    return {item.label for item in result.items}


async def test_completion_keywords_and_fields(client, folder):
    labels = await complete(client, folder, "rule more: +1 when ")
    assert {"any", "count", "not", "country", "employees"} <= labels
    assert "rule" not in labels and "page_view" not in labels
    assert {"and", "or", "in", "is"} <= await complete(client, folder, "rule more: +1 when country ")


async def test_completion_names_by_kind(client, folder):
    assert {"page_view", "demo_request"} <= await complete(client, folder, "rule more: +1 when any ")
    assert {"url", "seconds"} <= await complete(client, folder, "rule more: +1 when any page_view[")
    assert "eu" in await complete(client, folder, "rule more: +1 when country in ")


@pytest.mark.parametrize("typed, expected", [
    ("    lead { ", {"country", "employees"}),
    ("    events {\n        ", {"page_view", "demo_request"}),
    ("    events {\n        page_view at -1d { ", {"url", "seconds"}),
    ("    expect ", {"score", "tier", "stages", "tags", "disqualified", "clamped", "group", "rule", "campaign",
                   "account"}),
    ("    expect rule ", {"big", "europe", "pricing", "demo"}),
    ("    expect group ", {"fit"}),
    ("    expect campaign ", {"webinar"}),
    ("    expect campaign webinar rule ", {"attended"}),
    ("    expect stages == [", {"mql"}),
])
async def test_completion_in_a_tests_file(client, folder, typed, expected):
    await open_doc(client, folder, "typing.score", MODEL)
    text = TESTS + 'test "new" {\n' + typed
    uri, _ = await open_doc(client, folder, "typing.tests", text)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=doc(uri), position=at(text, typed, shift=len(typed))))
    assert {item.label for item in result.items} == expected


async def test_completion_sample_columns(client, folder):
    assert {"id", "Country", "Annual Revenue"} <= await complete(client, folder, 'field revenue: number from "')
    assert {"lead_id", "type", "at"} <= await complete(client, folder, 'event signup(kind: text from "')


# ---- navigation -----------------------------------------------------------------------------

async def test_definition_and_references(client, folder):
    uri, _ = await open_doc(client, folder, "nav.score", MODEL)
    found = await client.text_document_definition_async(types.DefinitionParams(
        text_document=doc(uri), position=at(MODEL, "employees", 1, shift=2)))
    assert found.range.start == at(MODEL, "employees")
    uses = await client.text_document_references_async(types.ReferenceParams(
        text_document=doc(uri), position=at(MODEL, "url"),
        context=types.ReferenceContext(include_declaration=True)))
    assert sorted(u.range.start.line for u in uses) == [4, 13]


@pytest.mark.parametrize("needle, nth, declared_at, uses", [
    ("employees", 1, ("employees", 0), 2),        # a field
    ("demo_request", 1, ("demo_request", 0), 3),  # an event
    ("url", 1, ("url", 0), 2),                    # an attribute
    ("eu", 2, (" eu", 0, 1), 2),                  # a list
    ("fit", 2, ("fit", 0), 3),                    # a group: its tiers and a qualify name it
    ("pricing", 0, ("pricing", 0), 1),            # a rule
    ("webinar", 0, ("webinar", 0), 1),            # a campaign
    ("mql", 0, ("mql", 0), 1),                    # a stage
])
async def test_definition_and_references_of_every_kind(client, folder, needle, nth, declared_at, uses):
    uri, _ = await open_doc(client, folder, "kinds.score", MODEL)
    where = at(MODEL, needle, nth, shift=1)
    found = await client.text_document_definition_async(types.DefinitionParams(text_document=doc(uri), position=where))
    assert found.range.start == at(MODEL, *declared_at)
    refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=doc(uri), position=where, context=types.ReferenceContext(include_declaration=True)))
    assert len(refs) == uses
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=doc(uri), position=where, new_name="renamed"))
    assert len(edit.changes[uri]) == uses


async def test_rename_every_occurrence(client, folder):
    uri, _ = await open_doc(client, folder, "rename.score", MODEL)
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=doc(uri), position=at(MODEL, "page_view", 1), new_name="visit"))
    assert sorted(e.range.start.line for e in edit.changes[uri]) == [4, 13]


@pytest.mark.parametrize("needle, in_tests, uses_in_tests", [
    ("employees", "employees", 2), ("big", "rule big", 1), ("attended", "attended", 1), ("webinar", "webinar", 1)])
async def test_references_and_rename_cover_the_tests_file(client, folder, needle, in_tests, uses_in_tests):
    (folder / "xref.tests").write_text(TESTS)             # on disk, not open
    uri, _ = await open_doc(client, folder, "xref.score", MODEL)
    tests_uri = (folder / "xref.tests").as_uri()
    refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=doc(uri), position=at(MODEL, needle), context=types.ReferenceContext(include_declaration=True)))
    assert [r.range.start for r in refs if r.uri == tests_uri] == \
        [at(TESTS, in_tests, n, shift=len(in_tests) - len(needle)) for n in range(uses_in_tests)]
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=doc(uri), position=at(MODEL, needle), new_name="renamed"))
    assert len(edit.changes[tests_uri]) == uses_in_tests


@pytest.mark.parametrize("new, why", [("employees", "already declared"), ("when", "keyword")])
async def test_rename_refuses(client, folder, new, why):
    uri, _ = await open_doc(client, folder, "refuse.score", MODEL)
    with pytest.raises(Exception, match=why):
        await client.text_document_rename_async(types.RenameParams(
            text_document=doc(uri), position=at(MODEL, "country"), new_name=new))


# ---- outline, folding, formatting, quick fixes -----------------------------------------------

async def test_document_symbols(client, folder):
    uri, _ = await open_doc(client, folder, "outline.score", MODEL)
    found = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(uri)))
    names = [s.name for s in found]
    assert names[:2] == ["country", "employees"] and {"fit", "pricing", "demo", "mql"} <= set(names)
    fit = next(s for s in found if s.name == "fit")
    assert [c.name for c in fit.children] == ["big", "europe"]


async def test_a_tests_file_outline_and_folding_are_its_cases(client, folder):
    await open_doc(client, folder, "cases.score", MODEL)
    uri, _ = await open_doc(client, folder, "cases.tests", TESTS)
    found = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(uri)))
    assert [s.name for s in found] == ["a big European company", "wrong on purpose"]
    folds = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=doc(uri)))
    assert [(f.start_line, f.end_line) for f in folds] == [(2, 7), (9, 12)]


async def test_folding_ranges(client, folder):
    uri, _ = await open_doc(client, folder, "fold.score", MODEL)
    found = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=doc(uri)))
    assert [(f.start_line, f.end_line) for f in found] == [(8, 11), (20, 23)]     # the group, the campaign


async def test_formatting(client, folder):
    messy = MODEL.replace("field employees: number", "field   employees :number")
    uri, _ = await open_doc(client, folder, "fmt.score", messy)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=doc(uri), options=types.FormattingOptions(tab_size=4, insert_spaces=True)))
    assert len(edits) == 1 and "field employees: number\n" in edits[0].new_text
    invalid = messy.replace("employees >= 500", "employes >= 500")
    uri, _ = await open_doc(client, folder, "fmt_bad.score", invalid)
    with pytest.raises(Exception, match="not formatted"):
        await client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=doc(uri), options=types.FormattingOptions(tab_size=4, insert_spaces=True)))


async def fixes(client, uri, published):
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc(uri), range=published[0].range,
        context=types.CodeActionContext(diagnostics=published)))


async def test_code_action_did_you_mean(client, folder):
    text = MODEL.replace("when employees >= 500", "when employes >= 500")
    uri, published = await open_doc(client, folder, "fix.score", text)
    actions = await fixes(client, uri, published)
    replace = next(a for a in actions if a.title == "Replace with `employees`")
    assert replace.edit.changes[uri][0].new_text == "employees"
    assert replace.edit.changes[uri][0].range == published[0].range


async def test_code_action_declares_field_and_event(client, folder):
    text = MODEL + "rule x: +1 when industry == \"IT\"\nrule y: +1 when any webinar\n"
    uri, published = await open_doc(client, folder, "declare.score", text)
    field = next(a for a in await fixes(client, uri, published) if a.title == "Declare field `industry`")
    assert field.edit.changes[uri][0].new_text == "field industry: text\n"
    assert field.edit.changes[uri][0].range.start.line == 4          # after the last field
    event = next(a for a in await fixes(client, uri, published[1:]) if a.title == "Declare event `webinar`")
    assert event.edit.changes[uri][0].new_text == "event webinar\n"
    assert event.edit.changes[uri][0].range.start.line == 6          # after the last event


# ---- tests through code lenses --------------------------------------------------------------

async def test_code_lens_runs_the_tests(client, folder):
    await open_doc(client, folder, "lens.score", MODEL)
    uri, _ = await open_doc(client, folder, "lens.tests", TESTS)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(uri)))
    titles = [lens.command.title for lens in lenses]
    assert titles == ["▶ run tests (lens.tests)", "▶ run test", "▶ run test"]
    assert [lens.range.start.line for lens in lenses] == [0, 2, 9]
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=lenses[0].command.command, arguments=lenses[0].command.arguments))
    assert (result["passed"], result["failed"]) == (1, 1)
    for _ in range(50):
        if client.lens_refreshes:
            break
        await asyncio.sleep(0.1)
    assert client.lens_refreshes == 1
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(uri)))
    titles = [lens.command.title for lens in lenses]
    assert titles[1] == "✓ passed" and titles[2].startswith("✗ failed: expect score == 99")
    assert "1 passed, 1 failed" in titles[0]
    model_lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=doc((folder / "lens.score").as_uri())))
    assert model_lenses[0].command.title.startswith("▶ run tests (lens.tests): 1 passed, 1 failed")
