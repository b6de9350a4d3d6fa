"""Completion: the keywords the grammar takes at the cursor, and the declared
names that fit there.

The keywords come from Lark's interactive parser: the current top-level
declaration, up to the word being typed, is fed to it and `accepts()` names
the terminals it would take next. Which names fit is decided by what stands
before the cursor: inside `[ ]` the stream's attributes, after `in` a list,
after `any`/`no`/`first`/`last`/`each`/`count(`/`sum(` an event, elsewhere
a field (and a group in a `qualify`). In a `from "…"` string, and after
`field`, the columns of the workspace's sample files (workspace.py).
"""

from __future__ import annotations

import re

from lark.exceptions import LarkError
from lsprotocol import types

from ..dsl.parse import KEYWORD_TERMINALS, KEYWORDS, parser
from ..dsl.recover import declaration_starts
from .names import ATTRIBUTE, CAMPAIGN, EVENT, FIELD, GROUP, LIST, RULE, STAGE
from .workspace import sample_columns

WORD_BEFORE = re.compile(r"[A-Za-z0-9_]*$")
LAST_WORD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*|\()\s*$")
STREAM_WORDS = {"any", "no", "first", "last", "each"}
IN_STRING_AFTER_FROM = re.compile(r'\bfrom\s+"[^"\n]*$')
NEW_FIELD = re.compile(r"^field\s+[A-Za-z0-9_]*$")
ITEM = {FIELD: types.CompletionItemKind.Field, EVENT: types.CompletionItemKind.Event,
        ATTRIBUTE: types.CompletionItemKind.Property, LIST: types.CompletionItemKind.Enum,
        GROUP: types.CompletionItemKind.Module, RULE: types.CompletionItemKind.Function,
        CAMPAIGN: types.CompletionItemKind.Module, STAGE: types.CompletionItemKind.EnumMember}


def complete(analyzed, offset: int) -> list[types.CompletionItem]:
    text = analyzed.source.text
    word_start = offset - len(WORD_BEFORE.search(text, 0, offset).group(0))
    starts = [s for s in declaration_starts(text) if s <= word_start]
    prefix = text[starts[-1] if starts else 0:word_start]
    if IN_STRING_AFTER_FROM.search(prefix):
        which = "events" if prefix.lstrip().startswith("event") else "leads"
        return columns(analyzed.path, which, "in a string")
    if NEW_FIELD.match(prefix + text[word_start:offset]):
        return columns(analyzed.path, "leads", "as a field name")
    accepted = acceptable(prefix)
    items = [keyword(KEYWORD_TERMINALS[t]) for t in sorted(accepted) if t in KEYWORD_TERMINALS]
    if "NAME" in accepted:
        items.extend(names(analyzed.index, prefix))
    return items


def acceptable(prefix: str) -> set[str]:
    """The terminals the grammar takes after `prefix` (the start of a declaration); none when
    the prefix itself does not parse."""
    try:
        interactive = parser().parse_interactive(prefix)
        interactive.exhaust_lexer()
        return set(interactive.accepts())
    except LarkError:
        return set()


def keyword(word: str) -> types.CompletionItem:
    return types.CompletionItem(label=word, kind=types.CompletionItemKind.Keyword)


def names(index, prefix: str) -> list[types.CompletionItem]:
    """The declared names that fit where the cursor stands."""
    source = open_stream(prefix)
    if source is not None:
        if source == "leads":
            return named(index.names(FIELD), FIELD)
        return named(index.names(ATTRIBUTE, source), ATTRIBUTE, f"attribute of {source}")
    last = LAST_WORD.search(prefix)
    word = last.group(1) if last else ""
    if word == "in":
        return named(index.names(LIST), LIST)
    if word in STREAM_WORDS or (word == "(" and re.search(r"\b(count|sum)\s*\(\s*$", prefix)):
        return named(index.names(EVENT), EVENT)
    items = named(index.names(FIELD), FIELD)
    if re.match(r"\s*(qualify|campaign)\b", prefix):
        items += named(index.names(GROUP) + [g for c in index.campaigns for g in index.names(GROUP, c)], GROUP)
    return items


def open_stream(prefix: str) -> str | None:
    """The stream whose `[` is open at the end of `prefix`: its event, `leads` or `event`."""
    opened = []
    for match in re.finditer(r"[\[\]]", prefix):
        if match.group(0) == "[":
            opened.append(match.start())
        elif opened:
            opened.pop()
    if not opened:
        return None
    before = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", prefix[:opened[-1]])
    source = before.group(1) if before else None
    return None if source in KEYWORDS and source not in ("leads", "event") else source


def named(names_, kind: str, detail: str | None = None) -> list[types.CompletionItem]:
    return [types.CompletionItem(label=name, kind=ITEM[kind], detail=detail or kind) for name in names_]


def columns(path: str, which: str, detail: str) -> list[types.CompletionItem]:
    return [types.CompletionItem(label=column, kind=types.CompletionItemKind.Value,
                                 detail=f"a column of the sample {which} file",
                                 insert_text=column if detail == "in a string" else identifier(column))
            for column in sample_columns(path, which)]


def identifier(column: str) -> str:
    """A column name as a field name: lower case, other characters as `_`."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", column.strip()).strip("_").lower()
    return name if name and not name[0].isdigit() else f"f_{name}"


# ---- test files -------------------------------------------------------------------------

SUBJECT_WORDS = ("score", "tier", "stages", "tags", "disqualified", "clamped", "group", "rule",
                 "campaign", "account")
STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"?')        # a string, or one left open on its line
EXPECT_LINE = re.compile(r"^\s*expect((?:\s+[A-Za-z_][A-Za-z0-9_]*)*)\s+$")


def complete_tests(analyzed, offset: int) -> list[types.CompletionItem]:
    """In a `.tests` file: the model's names where a test names them, and the file's words."""
    text, index = analyzed.source.text, analyzed.index
    word_start = offset - len(WORD_BEFORE.search(text, 0, offset).group(0))
    line = text[text.rfind("\n", 0, word_start) + 1:word_start]
    block, block_line = open_block(text, word_start)
    if block == "lead":
        return named(index.names(FIELD), FIELD)
    if block == "event":
        event = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", block_line)
        return named(index.names(ATTRIBUTE, event.group(1)), ATTRIBUTE) if event else []
    if block == "events":
        return named(index.names(EVENT), EVENT) if not line.strip() else []
    if block == "colleague":
        return [keyword(w) for w in ("lead", "events")]
    expect = EXPECT_LINE.match(line)
    if block == "test" and expect:
        return expect_words(index, expect.group(1).split())
    stages = re.match(r"^\s*expect\s+(?:campaign\s+(\w+)\s+)?(stages|disqualified)\b", line)
    if block == "test" and stages:
        campaign = stages.group(1) if stages.group(2) == "stages" else None
        return named(index.names(STAGE, campaign), STAGE)
    if block == "test":
        return [keyword(w) for w in ("lead", "events", "colleague", "expect", "now")] if not line.strip() else []
    return [keyword(w) for w in ("test", "now")] if not line.strip() else []


def expect_words(index, words: list) -> list[types.CompletionItem]:
    """What may follow `expect` and the words after it: a subject, then a name of its kind."""
    campaign = None
    if len(words) >= 2 and words[0] == "campaign":
        campaign, words = words[1], words[2:]
    elif words == ["campaign"]:
        return named(index.names(CAMPAIGN), CAMPAIGN)
    if words == ["account"]:
        return [keyword("rule")]
    if words and words[0] == "account":
        words = words[1:]
    if not words:
        return [keyword(w) for w in SUBJECT_WORDS if campaign is None or w not in ("campaign", "account",
                                                                                  "disqualified", "clamped")]
    if words in (["rule"],):
        return named(index.names(RULE, campaign), RULE)
    if words in (["group"], ["tier"]):
        return named(index.names(GROUP, campaign), GROUP)
    return []


def open_block(text: str, upto: int) -> tuple[str | None, str]:
    """The innermost `{ }` open at `upto` — `lead`, `events`, `event` (an event's attributes),
    `colleague` or `test` — with the line it opens on; (None, "") at the top level."""
    stack, i = [], 0
    while i < upto:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            i = upto if end < 0 else end
            continue
        if ch == '"':
            i = max(STRING.match(text, i).end(), i + 1)
            continue
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            stack.pop()
        i += 1
    if not stack:
        return None, ""
    at = stack[-1]
    line = text[text.rfind("\n", 0, at) + 1:at]
    head = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", line)
    word = head.group(1) if head else None
    if word in ("lead", "events", "colleague", "test"):
        return word, line
    return "event", line
