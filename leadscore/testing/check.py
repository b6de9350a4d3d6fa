"""Check a `.tests` file against its checked model and build runnable cases.

Every name in a test is resolved against the model (`ir.Model`): lead
fields (by name or by their `from` column), event types and attributes,
groups, campaigns, rules, tiers, stages and tags. Values are converted as
input is (LANGUAGE.md §3), so a test states what a CSV or JSON row would
hold. Problems are diagnostics like the model's own (file:line:col, the
source line, a caret, a suggestion), all of them in one run.
"""

from __future__ import annotations

import os

import attrs

from ..dsl import ir
from ..dsl.diagnostics import Reporter, did_you_mean, render_all
from ..dsl.source import Source, Span
from ..runtime import schema, values as v
from .parse import (Case as CaseNode, Colleague, EventsBlock, Expect, LeadBlock, NowDecl, Text, Word,
                    parse)
from .run import (BOOL, NAME, NAMES, NUMBER, Case, EventInput, Expectation, LeadInput,
                  Relative, Subject)

TESTS_SUFFIX = ".tests"
MAX_REPEAT = 10_000                  # `times N`: enough for any cap, small enough to stay fast

#: The first word of an expectation, and what follows it.
SUBJECTS = {
    "score": "expect score == 70",
    "tier": "expect tier == hot  (a group's tier: expect tier fit == A)",
    "stages": "expect stages == [mql]",
    "tags": "expect tags contains priority",
    "disqualified": "expect disqualified == []",
    "clamped": "expect clamped == false",
    "group": "expect group fit == 30",
    "rule": "expect rule role == 15",
    "campaign": "expect campaign webinar_q3 == 55",
    "account": "expect account rule buying_committee == 10",
}
GLOBAL_ONLY = ("disqualified", "clamped")

TYPE_WORDS = {NUMBER: "a number", NAME: "a tier name", NAMES: "a list of names", BOOL: "true or false"}
TYPE_HINTS = {
    "number": "write a number (`750`) or `unknown`",
    "bool": "write `true`, `false` or `unknown`",
    "date": "write a date (`\"2026-11-20\"`), a time relative to now (`-3d`) or `unknown`",
    "time": "write an ISO-8601 time (`\"2026-11-20T09:00:00Z\"`), a time relative to now (`-2h`) or `unknown`",
    "text": "write a string (`\"IT\"`) or `unknown`",
}


def default_tests_path(model_path: str | os.PathLike) -> str:
    """`examples/saas.score` → `examples/saas.tests`."""
    root, ext = os.path.splitext(os.fspath(model_path))
    return (root if ext == ".score" else os.fspath(model_path)) + TESTS_SUFFIX


@attrs.frozen
class TestAnalysis:
    """What the checker made of one test file: its runnable cases and every diagnostic."""

    __test__ = False                 # not a pytest class

    source: Source
    cases: tuple
    diagnostics: tuple

    @property
    def errors(self) -> tuple:
        return tuple(d for d in self.diagnostics if d.is_error)

    def render(self) -> str:
        return render_all(self.diagnostics, {self.source.filename: self.source})


def analyze_tests(text: str, filename: str, model: ir.Model) -> TestAnalysis:
    """Parse and check the text of a test file against a checked model. Never raises for any text."""
    source = Source(text, filename)
    reporter = Reporter(source)
    tree = parse(source, reporter)
    cases = TestChecker(model, source, reporter).check(tree)
    return TestAnalysis(source, tuple(cases), tuple(reporter.sorted()))


def analyze_tests_file(path: str | os.PathLike, model: ir.Model) -> TestAnalysis:
    """Read and check a test file; raises OSError or UnicodeDecodeError when it cannot be read."""
    path = os.fspath(path)
    with open(path, encoding="utf-8-sig") as handle:
        text = handle.read()
    return analyze_tests(text, path, model)


def _quoted(names) -> str:
    return ", ".join(f"`{n}`" for n in names)


class TestChecker:
    __test__ = False

    def __init__(self, model: ir.Model, source: Source, reporter: Reporter):
        self.model = model
        self.source = source
        self.reporter = reporter
        self.fields = {f.name: f for f in model.fields}
        self.columns = {f.column: f for f in model.fields}
        self.events = {e.name: e for e in model.events}
        self.campaigns = {c.name: c for c in model.campaigns}

    def error(self, span: Span, code: str, message: str, suggestion: str | None = None) -> None:
        self.reporter.error(span, code, message, suggestion)

    # ---- the file ------------------------------------------------------------------

    def check(self, tree) -> list[Case]:
        file_now, seen_now = None, None
        for item in tree.items:
            if isinstance(item, NowDecl):
                if seen_now is not None:
                    self.error(self._head(item, "now"), "E-duplicate",
                               f"the file's `now` is given twice (first on line {seen_now.span.line})",
                               "give `now` once at the top; a test may set its own `now` inside its braces")
                else:
                    seen_now, file_now = item, self.time_literal(item.time)
        cases, names = [], {}
        for item in tree.items:
            if isinstance(item, CaseNode):
                case = self.case(item, file_now)
                name = item.name.value
                if name in names:
                    self.error(item.name.span, "E-duplicate",
                               f"two tests are named \"{name}\" (the first is on line {names[name]})",
                               "give each test its own name")
                    continue
                names[name] = item.name.span.line
                if case is not None:
                    cases.append(case)
        return cases

    def time_literal(self, text: Text) -> int | None:
        at = v.parse_iso_time(text.value)
        if at is None:
            self.error(text.span, "E-time-literal", f"`{text.value}` is not an ISO-8601 time",
                       "write it like \"2026-11-20T00:00:00Z\" (UTC when it has no offset)")
        return at

    # ---- one test --------------------------------------------------------------------

    def case(self, node: CaseNode, file_now: int | None) -> Case | None:
        name = node.name.value
        if not name.strip():
            self.error(node.name.span, "E-syntax", "a test needs a name", "write what it checks: "
                       "test \"a C-level lead who asked for a demo is hot\" { ... }")
        now = file_now
        firsts: dict[type, object] = {}
        lead_row, events, colleagues, expectations = {}, [], [], []
        for item in node.items:
            if isinstance(item, (NowDecl, LeadBlock, EventsBlock)):
                if not self.once(item, firsts, "a test"):
                    continue
            if isinstance(item, NowDecl):
                now = self.time_literal(item.time)
            elif isinstance(item, LeadBlock):
                lead_row = self.lead_row(item)
            elif isinstance(item, EventsBlock):
                events = self.event_inputs(item)
            elif isinstance(item, Colleague):
                colleague = self.colleague(item, len(colleagues) + 1)
                if colleague is not None:
                    colleagues.append(colleague)
            elif isinstance(item, Expect):
                expectation = self.expectation(item)
                if expectation is not None:
                    expectations.append(expectation)
        if not any(isinstance(item, Expect) for item in node.items):
            self.error(node.name.span, "E-syntax", f"test \"{name}\" has no `expect` line",
                       "add what the result should be, such as `expect score == 70`")
        lead = LeadInput(name, lead_row, tuple(events))
        return Case(name, self.source.filename, node.span.line, now, lead, tuple(colleagues),
                    tuple(expectations), self.model.filename)

    def once(self, item, firsts: dict, where: str) -> bool:
        kind = type(item)
        word = {NowDecl: "now", LeadBlock: "lead", EventsBlock: "events"}[kind]
        if kind in firsts:
            hint = ("put every event in one `events { ... }` block" if kind is EventsBlock else
                    "another lead of the same account is a `colleague { lead { ... } }`"
                    if kind is LeadBlock else "give `now` once")
            self.error(self._head(item, word), "E-duplicate",
                       f"{where} has one `{word}` (the first is on line {firsts[kind].span.line})", hint)
            return False
        firsts[kind] = item
        return True

    def _head(self, item, word: str) -> Span:
        """The span of the keyword that starts a block."""
        start = item.span.start
        return self.source.span(start, start + len(word))

    def colleague(self, node: Colleague, number: int) -> LeadInput | None:
        if self.model.account is None:
            self.error(self._head(node, "colleague"), "E-scope",
                       "the model has no `account by` scope, so a colleague changes nothing",
                       "a colleague is another lead of the same account; leave it out")
        firsts: dict = {}
        row, events = {}, []
        for item in node.items:
            if not self.once(item, firsts, "a colleague"):
                continue
            if isinstance(item, LeadBlock):
                row = self.lead_row(item)
            else:
                events = self.event_inputs(item)
        return LeadInput(f"colleague {number}", row, tuple(events))

    # ---- lead fields -----------------------------------------------------------------

    def lead_row(self, block: LeadBlock) -> dict:
        row, seen = {}, {}
        for entry in block.entries:
            field = self.field_of(entry.key)
            if field is None:
                continue
            if field.name in seen:
                self.error(entry.key.span, "E-duplicate",
                           f"field `{field.name}` is given twice (first at {_where(seen[field.name], entry.key.span)})",
                           "give each field once")
                continue
            seen[field.name] = entry.key.span
            value = self.raw_value(entry.value, field.type, f"field `{field.name}`",
                                   field.sentinel_texts, field.sentinel_numbers)
            if value is not _BAD:
                row[field.column] = value
        return row

    def field_of(self, key):
        if isinstance(key, Word):
            field = self.fields.get(key.text)
            if field is not None:
                return field
            other = self.columns.get(key.text)
            if other is not None:
                self.error(key.span, "E-unknown-name", f"no field `{key.text}`",
                           f"`{key.text}` is the column of field `{other.name}`: write `{other.name}: ...` "
                           f"or the column quoted, `\"{key.text}\": ...`")
            else:
                self.error(key.span, "E-unknown-name", f"no field `{key.text}`",
                           did_you_mean(key.text, self.fields) or
                           f"the model's fields: {_quoted(self.fields)}" if self.fields else None)
            return None
        field = self.columns.get(key.value)
        if field is not None:
            return field
        named = self.fields.get(key.value)
        if named is not None:
            self.error(key.span, "E-unknown-name", f"no field is read from column \"{key.value}\"",
                       f"field `{named.name}` is read from \"{named.column}\": write `{named.name}: ...` "
                       "without quotes")
        else:
            self.error(key.span, "E-unknown-name", f"no field is read from column \"{key.value}\"",
                       did_you_mean(key.value, self.columns))
        return None

    def raw_value(self, value, type_: str, what: str, texts=frozenset(), numbers=frozenset()):
        """The value a CSV/JSON row would hold for it, or _BAD (reported)."""
        if value.kind == "unknown":
            return None
        if value.kind == "offset":
            if type_ in (ir.DATE, ir.TIME):
                return Relative(value.value, as_date=type_ == ir.DATE)
            self.error(value.span, "E-type",
                       f"a time relative to now is for a `date` or `time`; {what} is {_article(type_)}",
                       TYPE_HINTS.get(type_))
            return _BAD
        if schema.convert(value.value, type_, texts, numbers) is v.BAD:
            self.error(value.span, "E-type", f"{what} is {_article(type_)}; {value.text} is not one",
                       TYPE_HINTS.get(type_))
            return _BAD
        return value.value

    # ---- events ----------------------------------------------------------------------

    def event_inputs(self, block: EventsBlock) -> list:
        out = []
        for line in block.events:
            event_type = self.events.get(line.type.text)
            if event_type is None:
                self.error(line.type.span, "E-unknown-name", f"no event type `{line.type.text}`",
                           did_you_mean(line.type.text, self.events) or
                           (f"the model's events: {_quoted(self.events)}" if self.events else
                            "the model declares no events"))
            moments = [self.moment(m) for m in line.moments]
            times = self.repeat_count(line.times)
            values = self.event_values(line, event_type) if event_type is not None else {}
            if event_type is None:
                continue
            out.extend(EventInput(event_type.name, at, values)
                       for at in moments if at is not None for _ in range(times))
        return out

    def repeat_count(self, times) -> int:
        if times is None:
            return 1
        if not isinstance(times.value, int) or not 1 <= times.value <= MAX_REPEAT:
            self.error(times.span, "E-number", f"`times` takes a whole number from 1 to {MAX_REPEAT}",
                       "write `page_view at -1d times 5` for five page views a day ago")
            return 1
        return times.value

    def moment(self, moment):
        if moment.kind == "now":
            return Relative(0)
        if moment.kind == "offset":
            if moment.value != 0 and moment.text[0] not in "+-":
                self.error(moment.span, "E-time-literal", f"`{moment.text}` is a duration, not a time",
                           f"write `-{moment.text}` for {moment.text} before now (or `+{moment.text}` after)")
                return None
            return Relative(moment.value)
        at = v.parse_iso_time(moment.value)
        if at is None:
            self.error(moment.span, "E-time-literal", f"`{moment.value}` is not an ISO-8601 time",
                       "write a time relative to now (`-2d`) or like \"2026-11-18T09:30:00Z\"")
        return at

    def event_values(self, line, event_type) -> dict:
        values, seen = {}, {}
        names = [a.name for a in event_type.attributes]
        for entry in line.attributes:
            key = entry.key
            if isinstance(key, Word):
                attribute = event_type.attribute(key.text)
                if attribute is None:
                    by_column = next((a for a in event_type.attributes if a.column == key.text), None)
                    hint = (f"`{key.text}` is the column of attribute `{by_column.name}`: write "
                            f"`{by_column.name}: ...`" if by_column else did_you_mean(key.text, names) or (
                                f"its attributes: {_quoted(names)}" if names else "it has no attributes"))
                    self.error(key.span, "E-unknown-attribute",
                               f"event `{event_type.name}` has no attribute `{key.text}`", hint)
                    continue
            else:
                attribute = next((a for a in event_type.attributes if a.column == key.value), None)
                if attribute is None:
                    self.error(key.span, "E-unknown-attribute",
                               f"no attribute of event `{event_type.name}` is read from column \"{key.value}\"",
                               did_you_mean(key.value, [a.column for a in event_type.attributes]))
                    continue
            if attribute.name in seen:
                self.error(key.span, "E-duplicate",
                           f"attribute `{attribute.name}` is given twice (first at {_where(seen[attribute.name], key.span)})",
                           "give each attribute once")
                continue
            seen[attribute.name] = key.span
            value = self.raw_value(entry.value, attribute.type, f"attribute `{attribute.name}`")
            if value is not _BAD:
                values[attribute.column] = value
        return values

    # ---- expectations ----------------------------------------------------------------

    def expectation(self, node: Expect) -> Expectation | None:
        subject, domain = self.subject(node.words)
        if subject is None:
            return None
        value = self.expected_value(node, subject, domain)
        if value is _BAD:
            return None
        return Expectation(subject, node.op, value, self.source.snippet(node.span),
                           node.span.line, node.span.column)

    def subject(self, words: tuple):
        """(Subject, the names its values may take), or (None, None) after reporting."""
        first = words[0]
        campaign = None
        rest = list(words)
        if first.text == "campaign":
            if len(words) < 2:
                self.error(first.span, "E-syntax", "`campaign` needs a campaign name",
                           "expect campaign webinar_q3 == 55")
                return None, None
            campaign = self.campaigns.get(words[1].text)
            if campaign is None:
                self.error(words[1].span, "E-unknown-name", f"no campaign `{words[1].text}`",
                           did_you_mean(words[1].text, self.campaigns) or (
                               f"the model's campaigns: {_quoted(self.campaigns)}" if self.campaigns
                               else "the model has no campaigns"))
                return None, None
            rest = list(words[2:])
            if not rest:
                return Subject("score", campaign.name), None
            first = rest[0]
        account = False
        if first.text == "account" and campaign is None:
            if len(rest) < 3 or rest[1].text != "rule":
                self.error(first.span, "E-syntax", "`account` is followed by `rule NAME`",
                           SUBJECTS["account"])
                return None, None
            if self.model.account is None:
                self.error(first.span, "E-scope", "the model has no `account by` scope")
                return None, None
            account, rest = True, rest[1:]
            first = rest[0]
        head = first.text
        if head not in SUBJECTS or head in ("campaign", "account"):
            allowed = [s for s in SUBJECTS if campaign is None or s not in (*GLOBAL_ONLY, "campaign", "account")]
            self.error(first.span, "E-unknown-name", f"unknown expectation `{head}`" +
                       (f" for campaign `{campaign.name}`" if campaign else ""),
                       did_you_mean(head, allowed) or f"expect one of: {', '.join(allowed)}")
            return None, None
        if campaign is not None and head in GLOBAL_ONLY:
            self.error(first.span, "E-scope", f"`{head}` is the lead's, not a campaign's",
                       f"expect {head} ... without `campaign {campaign.name}`")
            return None, None
        needs_name = head in ("group", "rule")
        takes_name = needs_name or head == "tier"
        name_word = rest[1] if len(rest) > 1 and takes_name else None
        extra = rest[2:] if takes_name else rest[1:]
        if extra:
            self.error(extra[0].span.to(extra[-1].span), "E-syntax",
                       f"unexpected `{' '.join(w.text for w in extra)}` after `{head}`"
                       + (f" {name_word.text}" if name_word else ""), SUBJECTS[head])
            return None, None
        if needs_name and name_word is None:
            self.error(first.span, "E-syntax", f"`{head}` needs a {head} name", SUBJECTS[head])
            return None, None

        scope_groups = campaign.groups if campaign else self.model.groups
        where = f"campaign `{campaign.name}`" if campaign else "the model"
        if head == "score":
            return Subject("score", campaign and campaign.name), None
        if head in ("stages", "tags", "disqualified", "clamped"):
            return Subject(head, campaign and campaign.name), self.names_of(head, campaign)
        if head == "group":
            groups = {g.name: g for g in scope_groups}
            if name_word.text not in groups:
                self.unknown(name_word, "group", groups, where)
                return None, None
            return Subject("group", campaign and campaign.name, name_word.text), None
        if head == "tier":
            if name_word is None:
                tiers = campaign.tiers if campaign else self.model.tiers
                if tiers is None:
                    self.error(first.span, "E-scope", f"{where} declares no `tiers:`" +
                               ("" if campaign else " on the total"),
                               "expect a group's tier with `expect tier GROUP == NAME`" if
                               (campaign or self.model).group_tiers else None)
                    return None, None
                return Subject("tier", campaign and campaign.name), tuple(tiers.names)
            groups = {g.name for g in scope_groups}
            tier_sets = {t.group: t for t in (campaign or self.model).group_tiers}
            if name_word.text not in tier_sets:
                if name_word.text in groups:
                    self.error(name_word.span, "E-scope", f"group `{name_word.text}` has no tiers",
                               f"the groups with tiers: {_quoted(tier_sets)}" if tier_sets else
                               f"{where} declares no `tiers GROUP:`")
                else:
                    self.unknown(name_word, "group", groups, where)
                return None, None
            return Subject("tier", campaign and campaign.name, name_word.text), \
                tuple(tier_sets[name_word.text].names)
        # a rule
        scopes = self.rule_scopes(campaign, account)
        label = scopes.get(name_word.text)
        if label is None:
            what = "account rule" if account else "rule"
            self.unknown(name_word, what, scopes, "the account scope" if account else where)
            return None, None
        return Subject("rule", campaign and campaign.name, name_word.text, label), None

    def unknown(self, word: Word, what: str, names, where: str) -> None:
        names = list(names)
        self.error(word.span, "E-unknown-name", f"{where} has no {what} `{word.text}`",
                   did_you_mean(word.text, names) or (f"its {what}s: {_quoted(names)}" if names else
                                                      f"{where} has no {what}s"))

    def rule_scopes(self, campaign, account: bool) -> dict:
        """Rule name → scope label, for the rules an expectation may name."""
        if campaign is not None:
            rules = [r for g in campaign.groups for r in g.rules] + list(campaign.rules)
            return {r.name: r.scope.label for r in rules}
        account_rules = {r.name: r.scope.label for r in (self.model.account.rules if self.model.account else ())}
        if account:
            return account_rules
        rules = [r for g in self.model.groups for r in g.rules] + list(self.model.rules)
        return {**account_rules, **{r.name: r.scope.label for r in rules}}

    def names_of(self, head: str, campaign) -> tuple | None:
        if head == "stages":
            return tuple(s.name for s in (campaign or self.model).qualify)
        if head == "disqualified":
            return tuple(s.name for s in self.model.disqualify)
        if head == "tags":
            if campaign is not None:
                rules = [r for g in campaign.groups for r in g.rules] + list(campaign.rules)
            else:
                rules = [r for g in self.model.groups for r in g.rules] + list(self.model.rules) + \
                    list(self.model.account.rules if self.model.account else ())
            return tuple(dict.fromkeys(r.tag for r in rules if r.tag is not None))
        return None

    def expected_value(self, node: Expect, subject: Subject, domain):
        op, expected = node.op, node.expected
        kind = subject.type
        label = " ".join(w.text for w in node.words)

        def wrong(message: str, hint: str | None = None):
            self.error(expected.span, "E-type", message, hint)
            return _BAD

        def bad_op(allowed: str):
            self.error(node.op_span, "E-type", f"`{op}` does not apply to `{label}` ({TYPE_WORDS[kind]})",
                       f"use {allowed}")
            return _BAD

        if kind == NUMBER:
            if op in ("==", "~="):
                if expected.kind == "range":
                    return wrong("a range is tested with `in`", f"expect {label} in {expected.text}")
                if expected.kind != "number":
                    return wrong(f"`{label}` is a number; `{expected.text}` is not",
                                 f"expect {label} == 70, ~= 61.35 or in 60..80")
                if op == "~=" and expected.decimals > 2:
                    self.error(expected.span, "E-number",
                               f"`~=` compares to 2 decimals; `{expected.text}` has {expected.decimals}",
                               "round it to 2 decimals, or use `==` for an exact value")
                    return _BAD
                return expected.value
            if op == "in":
                if expected.kind != "range":
                    return wrong("`in` takes a range of numbers", f"expect {label} in 60..80")
                low, high = expected.value
                if low is not None and high is not None and low > high:
                    return wrong(f"the range {expected.text} is empty", "write the low end first")
                return expected.value
            return bad_op("`==`, `~=` (to 2 decimals) or `in` a range")
        if kind == BOOL:
            if op != "==":
                return bad_op("`==`")
            if expected.kind not in ("true", "false"):
                return wrong(f"`{label}` is true or false; `{expected.text}` is not")
            return expected.value
        if kind == NAME:
            if op == "==":
                if expected.kind != "name":
                    return wrong(f"`{label}` is a tier name; `{expected.text}` is not",
                                 f"expect {label} == {domain[-1]}" if domain else None)
                names = self.known_names((expected.value,), (expected.span,), domain, "tier")
                return _BAD if names is None else names[0]
            if op == "in":
                if expected.kind != "list":
                    return wrong("`in` takes a list of tier names", f"expect {label} in [{', '.join(domain[-2:])}]")
                names = self.known_names(tuple(w.text for w in expected.value),
                                         tuple(w.span for w in expected.value), domain, "tier")
                return _BAD if names is None else names
            return bad_op("`==` or `in [ ... ]`")
        # a list of names
        what = {"stages": "stage", "tags": "tag", "disqualified": "disqualify"}[subject.kind]
        if op not in ("==", "contains", "not contains"):
            return bad_op("`==` (the same names, in any order), `contains` or `not contains`")
        if expected.kind == "name" and op != "==":
            words = ((expected.value, expected.span),)
        elif expected.kind == "list":
            words = tuple((w.text, w.span) for w in expected.value)
        else:
            hint = f"expect {label} == [{expected.text}]" if expected.kind == "name" else \
                f"expect {label} == [{domain[0]}]" if domain else f"expect {label} == []"
            return wrong(f"`{label}` is a list of names; `{expected.text}` is not", hint)
        names = self.known_names(tuple(w for w, _ in words), tuple(s for _, s in words), domain, what)
        return _BAD if names is None else names

    def known_names(self, names: tuple, spans: tuple, domain: tuple, what: str):
        ok = True
        for name, span in zip(names, spans):
            if name not in domain:
                ok = False
                message = f"no {what} `{name}`" if what != "tag" else f"no rule has `tag {name}`"
                self.error(span, "E-unknown-name", message,
                           did_you_mean(name, domain) or (f"the {what}s: {_quoted(domain)}" if domain else None))
        return names if ok else None


_BAD = object()


def _where(first: Span, here: Span) -> str:
    """Where the first of two things is: its line, and its column when they share a line."""
    if first.line == here.line:
        return f"line {first.line}, column {first.column}"
    return f"line {first.line}"


def _article(type_: str) -> str:
    return {"number": "a number", "bool": "a bool", "date": "a date", "time": "a time",
            "text": "text"}.get(type_, type_)
