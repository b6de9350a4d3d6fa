"""The model's names as its `.tests` file uses them, so that finding the
references of a name, or renaming it, covers the tests that name it too.

A test names fields (the keys of `lead { }`), events and their attributes
(`events { }` lines), and in `expect` lines campaigns, groups (also as
`tier GROUP`), rules and stages (`stages`, `disqualified`); each use is
resolved as testing/check.py resolves it.
"""

from __future__ import annotations

from ..dsl.diagnostics import Reporter
from ..dsl.source import Source
from ..testing.parse import Case, Colleague, EventsBlock, Expect, LeadBlock, Word, parse
from .names import ATTRIBUTE, CAMPAIGN, EVENT, FIELD, GROUP, RULE, STAGE, Key

STAGE_SUBJECTS = ("stages", "disqualified")


def uses(text: str, filename: str) -> list[tuple[Key, object]]:
    """(Key, span) of every model name a test file's text uses (its parts that parse)."""
    source = Source(text, filename)
    tree = parse(source, Reporter(source))
    found = []
    for case in (item for item in tree.items if isinstance(item, Case)):
        for item in case.items:
            found.extend(item_uses(item))
    return found


def item_uses(item):
    if isinstance(item, Colleague):
        for inner in item.items:
            yield from item_uses(inner)
    elif isinstance(item, LeadBlock):
        for entry in item.entries:
            if isinstance(entry.key, Word):
                yield Key(FIELD, None, entry.key.text), entry.key.span
    elif isinstance(item, EventsBlock):
        for line in item.events:
            yield Key(EVENT, None, line.type.text), line.type.span
            for entry in line.attributes:
                if isinstance(entry.key, Word):
                    yield Key(ATTRIBUTE, line.type.text, entry.key.text), entry.key.span
    elif isinstance(item, Expect):
        yield from expect_uses(item)


def expect_uses(expect: Expect):
    words, campaign = list(expect.words), None
    if len(words) >= 2 and words[0].text == "campaign":
        campaign = words[1].text
        yield Key(CAMPAIGN, None, campaign), words[1].span
        words = words[2:]
    if words and words[0].text == "account":
        words = words[1:]
    if len(words) == 2 and words[0].text in ("group", "tier"):
        yield Key(GROUP, campaign, words[1].text), words[1].span
    elif len(words) == 2 and words[0].text == "rule":
        yield Key(RULE, campaign, words[1].text), words[1].span
    elif len(words) == 1 and words[0].text in STAGE_SUBJECTS:
        stages = None if words[0].text == "disqualified" else campaign
        expected = expect.expected
        if expected.kind == "list":
            for word in expected.value:
                yield Key(STAGE, stages, word.text), word.span
        elif expected.kind == "name":
            yield Key(STAGE, stages, expected.value), expected.span


def used_at(text: str, filename: str, offset: int) -> tuple[Key, object] | None:
    """The model name a test file uses at `offset` (its end counts), with its span."""
    for key, span in uses(text, filename):
        if span.start <= offset <= span.end:
            return key, span
    return None
