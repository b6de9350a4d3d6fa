"""The grammar (grammar/score.lark) and the text → AST step (dsl/parse.py).

- the grammar is conflict-free LALR(1) with no terminal collisions: it builds
  with Lark's `strict=True` (interegular installed, so strict is enforced);
- every construct parses into the expected `nodes` value;
- spans are not part of a node's equality;
- keywords are reserved, whole identifiers that contain them are not;
- the negative cases of ../shared/research/lark-lalr-notes.md are rejected.
"""

from __future__ import annotations

from importlib import resources

import pytest
from lark import Lark
from lark.exceptions import UnexpectedInput

from leadscore.dsl import analyze
from leadscore.dsl import nodes as n
from leadscore.dsl.diagnostics import Reporter
from leadscore.dsl.parse import KEYWORDS, ReserveKeywords, keyword_terminal, parser
from leadscore.dsl.recover import parse
from leadscore.dsl.source import Source

DAY = 86400


def grammar_text() -> str:
    return resources.files("leadscore.grammar").joinpath("score.lark").read_text("utf-8")


def ast(text: str) -> n.Model:
    """Parse `text`, which must be free of syntax errors."""
    source = Source(text)
    reporter = Reporter(source)
    model = parse(source, reporter)
    assert reporter.diagnostics == [], [d.message for d in reporter.diagnostics]
    assert model is not None
    return model


def syntax_codes(text: str) -> list[str]:
    """The codes of the diagnostics for `text`, which must not parse."""
    source = Source(text)
    reporter = Reporter(source)
    assert parse(source, reporter) is None, f"{text!r} parsed"
    assert reporter.diagnostics, text
    return [d.code for d in reporter.diagnostics]


def item(text: str):
    (only,) = ast(text).items
    return only


def cond(text: str):
    """The AST of one condition."""
    return item(f"rule r: +1 when {text}").body.condition


# ---- the grammar itself ---------------------------------------------------------

@pytest.fixture(scope="module")
def strict_parser() -> Lark:
    """A second build of the same grammar in strict mode.

    Lark resolves shift/reduce conflicts silently (by shifting) unless
    `strict=True`; with interegular installed strict mode also rejects two
    terminals that can match the same text in one contextual-lexer state. So
    any future edit that adds a conflict or a collision fails here.
    """
    pytest.importorskip("interegular")
    return Lark(grammar_text(), parser="lalr", lexer="contextual", strict=True,
                postlex=ReserveKeywords(), propagate_positions=True, maybe_placeholders=False)


def test_grammar_builds_in_strict_mode(strict_parser):
    strict_parser.parse("rule r: +1 when x >= -10 and last a - first b <= 3d\n")


def test_strict_mode_is_really_enforced():
    """Strict mode must catch an injected conflict, or the test above proves nothing."""
    pytest.importorskip("interegular")
    ambiguous = grammar_text().replace(
        '?expr: operand | expr MINUS operand -> minus',
        '?expr: operand | expr MINUS expr -> minus')
    assert ambiguous != grammar_text()
    with pytest.raises(Exception, match="(?i)conflict"):
        Lark(ambiguous, parser="lalr", lexer="contextual", strict=True,
             postlex=ReserveKeywords(), maybe_placeholders=False)


def test_production_parser_is_lalr_contextual_with_reserved_keywords():
    options = parser().options
    assert options.parser == "lalr"
    assert options.lexer == "contextual"
    assert isinstance(options.postlex, ReserveKeywords)


def test_every_keyword_is_a_terminal_of_the_grammar():
    terminals = {t.name for t in parser().terminals}
    assert len(KEYWORDS) == 60
    missing = [w for w in KEYWORDS if keyword_terminal(w) not in terminals]
    assert missing == []
    assert set(ReserveKeywords.always_accept) == {"NAME", *(keyword_terminal(w) for w in KEYWORDS)}


def test_strict_and_production_parsers_agree(strict_parser):
    text = "field x: number\nrule r: by x { 1000.. => +5\n ..49 => -2 }, max 3\n"
    assert strict_parser.parse(text) == parser().parse(text)


# ---- declarations ----------------------------------------------------------------

def test_model_header():
    assert ast('model "saas-b2b" version 3').header == n.ModelHeader("saas-b2b", 3)
    assert ast('model "m"').header == n.ModelHeader("m", None)
    assert ast('field x: text').header is None


def test_field_declarations():
    assert item("field employees: number") == n.FieldDecl(n.Name("employees"), "number", None, ())
    for type_ in ("text", "number", "bool", "date", "time"):
        assert item(f"field x: {type_}").type == type_
    decl = item('field occupation: text from "What is your current occupation", unknown "Select", "N/A"')
    assert decl == n.FieldDecl(n.Name("occupation"), "text", n.Str("What is your current occupation"),
                               (n.Str("Select"), n.Str("N/A")))
    assert item("field pdays: number, unknown 999, -1").sentinels == (n.Num(999), n.Num(-1))


def test_event_declarations():
    assert item("event demo_request") == n.EventDecl(n.Name("demo_request"), ())
    decl = item('event page_view(url: text, seconds: number)\n')
    assert decl.attributes == (n.AttrDecl(n.Name("url"), "text", None),
                               n.AttrDecl(n.Name("seconds"), "number", None))
    decl = item('event email_open(email_campaign: text from "campaign")')
    assert decl.attributes == (n.AttrDecl(n.Name("email_campaign"), "text", n.Str("campaign")),)


def test_list_declarations():
    assert item('list d = ["gmail.com", "yahoo.com"]') == n.ListDecl(
        n.Name("d"), n.ListLiteral((n.Str("gmail.com"), n.Str("yahoo.com"))), None)
    assert item("list e = []").values == n.ListLiteral(())
    assert item('list t from "target_accounts.txt"') == n.ListDecl(
        n.Name("t"), None, n.Str("target_accounts.txt"))


def test_clamp_and_ranges():
    assert item("clamp 0..100") == n.ClampDecl(n.Range(0, 100))
    assert item("clamp -5..5").range == n.Range(-5, 5)
    assert item("clamp 0..").range == n.Range(0, None)
    assert item("clamp ..100").range == n.Range(None, 100)
    assert item("clamp 1.5..2").range == n.Range(1.5, 2)
    assert item("clamp -10..-1").range == n.Range(-10, -1)


# ---- numbers, points, durations, strings -----------------------------------------

@pytest.mark.parametrize("text, seconds", [
    ("12h", 12 * 3600), ("30d", 30 * DAY), ("2w", 14 * DAY), ("6mo", 180 * DAY),
    ("1y", 365 * DAY), ("1.5d", 1.5 * DAY), ("0.5h", 1800), ("1_000d", 1000 * DAY),
])
def test_durations_in_seconds(text, seconds):
    duration = cond(f"now - last a > {text}").right
    assert duration == n.Duration(seconds, text)
    assert isinstance(duration.seconds, float)


def test_a_month_is_30_days_and_a_year_365():
    assert cond("x > 1mo").right.seconds == 30 * DAY
    assert cond("x > 1y").right.seconds == 365 * DAY


@pytest.mark.parametrize("text, value", [
    ("15", 15), ("2.5", 2.5), ("1_000", 1000), ("-10", -10), ("0", 0), ("1_000.000_5", 1000.0005),
])
def test_numbers(text, value):
    number = cond(f"x >= {text}").right
    assert number == n.Num(value)
    assert type(number.value) is type(value)


@pytest.mark.parametrize("text, value", [("+15", 15), ("-20", -20), ("0", 0), ("+2.5", 2.5), ("-1_000", -1000)])
def test_points_carry_a_sign(text, value):
    body = item(f"rule r: {text} when x").body
    assert body.points == n.Points(value, text)


def test_points_in_table_arms_and_each_rules():
    body = item("rule r: by x { 1 => +5\n 2 => -3\n else => 0 }").body
    assert [a.points.value for a in body.arms] == [5, -3, 0]
    assert item("rule r: -2 each a").body.points == n.Points(-2, "-2")


def test_percent():
    spec = item("rule r: +1 each a, decay 50% per 30d").options[0].spec
    assert spec == n.LinearDecay(n.Percent(50.0), n.Duration(30 * DAY, "30d"))


@pytest.mark.parametrize("written, value", [
    (r'"a\"b"', 'a"b'),
    (r'"a\\b"', "a\\b"),
    (r'"a\nb"', "a\nb"),
    (r'"a\tb"', "a\tb"),
    (r'"caf\u00e9"', "café"),
    (r'"\u00E9"', "é"),
    (r'"\d+"', "\\d+"),            # any other backslash is kept: the RE2 pattern \d+
    (r'"\w\.\s"', "\\w\\.\\s"),
    (r'"\u00zz"', "\\u00zz"),      # not four hex digits: kept as written
    (r'"\ud83d\ude00"', "\U0001F600"),  # a surrogate pair is one character
    ('""', ""),
    ('"#not a comment"', "#not a comment"),
])
def test_string_escapes(written, value):
    assert cond(f"x == {written}").right == n.Str(value)


def test_matches_keeps_the_backslash():
    assert cond(r'x matches "\d+"') == n.Matches(n.Name("x"), n.Str("\\d+"))


def test_booleans():
    assert cond("x == true").right == n.Bool(True)
    assert cond("x != false").right == n.Bool(False)


# ---- conditions -------------------------------------------------------------------

@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparisons(op):
    assert cond(f"x {op} 3") == n.Compare(op, n.Name("x"), n.Num(3))


def test_membership():
    assert cond('x in ["a", "b"]') == n.Membership(
        n.Name("x"), n.ListLiteral((n.Str("a"), n.Str("b"))), False)
    assert cond("x in personal_domains") == n.Membership(n.Name("x"), n.Name("personal_domains"), False)
    assert cond("x in 100..499") == n.Membership(n.Name("x"), n.Range(100, 499), False)
    assert cond('x not in ["a"]') == n.Membership(n.Name("x"), n.ListLiteral((n.Str("a"),)), True)
    assert cond("x not in 1000..") == n.Membership(n.Name("x"), n.Range(1000, None), True)
    assert cond("x in ..49") == n.Membership(n.Name("x"), n.Range(None, 49), False)


def test_open_ranges_before_every_follower():
    assert cond("(x in 1000..)") == n.Membership(n.Name("x"), n.Range(1000, None), False)
    assert item("rule r: +1 when x in 1000.., max 5").options == (n.MaxOption(n.Num(5), None),)
    assert cond("any a[s in 60..]").stream.filter == n.Membership(n.Name("s"), n.Range(60, None), False)
    body = item("rule r: by x {1000..=>+5}").body
    assert body.arms == (n.Arm("values", (n.Range(1000, None),), n.Points(5, "+5")),)
    account = item("account by x where n in 5.. { }")
    assert account.where == n.Membership(n.Name("n"), n.Range(5, None), False)


def test_text_tests():
    assert cond('x contains "a"') == n.TextTest("contains", n.Name("x"), n.Str("a"))
    assert cond('x starts with "a"') == n.TextTest("starts_with", n.Name("x"), n.Str("a"))
    assert cond('x ends with "a"') == n.TextTest("ends_with", n.Name("x"), n.Str("a"))


def test_presence():
    assert cond("x is known") == n.Presence(n.Name("x"), True)
    assert cond("x is unknown") == n.Presence(n.Name("x"), False)


def test_precedence_or_and_not():
    x, y, z = n.Name("x"), n.Name("y"), n.Name("z")
    assert cond("x or y and z") == n.Or(x, n.And(y, z))
    assert cond("x and y or z") == n.Or(n.And(x, y), z)
    assert cond("not x and y") == n.And(n.Not(x), y)
    assert cond("not not x") == n.Not(n.Not(x))
    assert cond('not x == "a"') == n.Not(n.Compare("==", x, n.Str("a")))
    assert cond('not x in ["a"]') == n.Not(n.Membership(x, n.ListLiteral((n.Str("a"),)), False))
    assert cond("(x or y) and z") == n.And(n.Or(x, y), z)
    assert cond("a or b or c") == n.Or(n.Or(n.Name("a"), n.Name("b")), n.Name("c"))


def test_time_arithmetic():
    last = n.Aggregate("last", n.Stream("demo_request", False, None, None))
    first = n.Aggregate("first", n.Stream("form_submit", False, None, None))
    expected = n.Compare("<=", n.Minus(last, first), n.Duration(3 * DAY, "3d"))
    assert cond("last demo_request - first form_submit <= 3d") == expected
    assert cond("last demo_request-first form_submit<=3d") == expected
    assert cond("now - last a > 30d").left == n.Minus(n.Now(), n.Aggregate("last", n.Stream("a", False, None, None)))
    # `-` is left-associative, and a `-1` after an operand is minus 1
    assert cond("a - b - c") == n.Minus(n.Minus(n.Name("a"), n.Name("b")), n.Name("c"))
    assert cond("last a -1 > 0").left == n.Minus(n.Aggregate("last", n.Stream("a", False, None, None)), n.Num(1))
    assert cond("x >= -1").right == n.Num(-1)


def test_functions_and_special_names():
    assert cond('domain(email) == "a.com"').left == n.Call("domain", n.Name("email"))
    assert cond("days_since(signed_up) > 30").left == n.Call("days_since", n.Name("signed_up"))
    assert cond("now > x").left == n.Now()
    assert cond("key in t").operand == n.Key()
    assert item("qualify mql when score >= 65") == n.Qualify(
        n.Name("mql"), n.Compare(">=", n.ScoreRef(), n.Num(65)))


def test_aggregates_and_streams():
    pricing = n.Stream("page_view", False, n.TextTest("contains", n.Name("url"), n.Str("/pricing")),
                       n.Duration(7 * DAY, "7d"))
    assert cond('count(page_view[url contains "/pricing"] within 7d) >= 3').left == n.Aggregate("count", pricing)
    assert cond("any demo_request") == n.Aggregate("any", n.Stream("demo_request", False, None, None))
    assert cond("no event within 90d") == n.Aggregate(
        "no", n.Stream(None, False, None, n.Duration(90 * DAY, "90d")))
    assert cond("sum(page_view within 30d, seconds) >= 600").left == n.Aggregate(
        "sum", n.Stream("page_view", False, None, n.Duration(30 * DAY, "30d")), n.Name("seconds"))
    assert cond("count(leads) >= 3").left == n.Aggregate("count", n.Stream(None, True, None, None))
    assert cond('any leads[job_level == "C-level"]').stream == n.Stream(
        None, True, n.Compare("==", n.Name("job_level"), n.Str("C-level")), None)
    assert cond("first a").kind == "first"


def test_within_binds_to_the_stream_inside_time_arithmetic():
    left = cond("last a[x == 1] within 30d - first b within 7d <= 3d").left
    assert left == n.Minus(
        n.Aggregate("last", n.Stream("a", False, n.Compare("==", n.Name("x"), n.Num(1)), n.Duration(30 * DAY, "30d"))),
        n.Aggregate("first", n.Stream("b", False, None, n.Duration(7 * DAY, "7d"))))


# ---- rules, groups, scopes, outputs ---------------------------------------------------

def test_three_rule_forms():
    rule = item('rule c_level: +15 when job_level == "C-level"')
    assert rule == n.Rule(n.Name("c_level"), n.ConditionBody(
        n.Points(15, "+15"), n.Compare("==", n.Name("job_level"), n.Str("C-level"))), ())
    rule = item("rule opens: +2 each email_open, max 10")
    assert rule == n.Rule(n.Name("opens"), n.EachBody(
        n.Points(2, "+2"), n.Stream("email_open", False, None, None)), (n.MaxOption(n.Num(10), None),))
    rule = item('rule role: by job_level {\n "C-level" => +15\n "PM", "Director" => +10\n unknown => -1\n else => 0\n}')
    assert rule.body == n.TableBody(n.Name("job_level"), (
        n.Arm("values", (n.Str("C-level"),), n.Points(15, "+15")),
        n.Arm("values", (n.Str("PM"), n.Str("Director")), n.Points(10, "+10")),
        n.Arm("unknown", (), n.Points(-1, "-1")),
        n.Arm("else", (), n.Points(0, "0")),
    ))
    arms = item("rule r: by x { true => +1\n false => -1\n 1..5, 9 => 0 }").body.arms
    assert [a.values for a in arms] == [(n.Bool(True),), (n.Bool(False),), (n.Range(1, 5), n.Num(9))]


def test_rule_options():
    rule = item('rule w: +1 each page_view, max 20, max 5 per 30d, distinct url, '
                'decay half_life 30d, tag priority, because "it shows"')
    assert rule.options == (
        n.MaxOption(n.Num(20), None),
        n.MaxOption(n.Num(5), n.Duration(30 * DAY, "30d")),
        n.DistinctOption(n.Name("url")),
        n.DecayOption(n.HalfLife(n.Duration(30 * DAY, "30d"))),
        n.TagOption(n.Name("priority")),
        n.BecauseOption(n.Str("it shows")),
    )
    assert item("rule r: +1 each a, decay expire 90d").options == (
        n.DecayOption(n.Expire(n.Duration(90 * DAY, "90d"))),)
    table = item('rule r: by x { else => 0 }, tag fit, because "b"')
    assert table.options == (n.TagOption(n.Name("fit")), n.BecauseOption(n.Str("b")))


def test_groups():
    group = item("group engagement min -10, max 60, decay half_life 30d {\n rule d: +30 when any demo_request\n}")
    assert group.name == n.Name("engagement")
    assert group.options == (n.MinOption(n.Num(-10)), n.GroupMaxOption(n.Num(60)),
                             n.DecayOption(n.HalfLife(n.Duration(30 * DAY, "30d"))))
    assert [r.name.id for r in group.rules] == ["d"]
    assert item("group fit { }") == n.Group(n.Name("fit"), (), ())


def test_campaign_and_account():
    campaign = item('campaign webinar_q3 {\n rule a: +25 when any w[webinar == "q3"]\n'
                    ' group g max 5 { }\n tiers: lo, hi >= 5\n qualify f when score >= 50\n}')
    assert [type(i) for i in campaign.items] == [n.Rule, n.Group, n.Tiers, n.Qualify]
    account = item("account by domain(email) where domain(email) not in personal_domains {\n"
                   " rule b: +10 when count(leads) >= 3\n}")
    assert account.key == n.Call("domain", n.Name("email"))
    assert account.where == n.Membership(n.Call("domain", n.Name("email")), n.Name("personal_domains"), True)
    assert [r.name.id for r in account.rules] == ["b"]
    assert item("account by email { }").where is None


def test_outputs():
    assert item("tiers: cold, warm >= 40, hot >= 70") == n.Tiers(None, (
        n.Tier(n.Name("cold"), None), n.Tier(n.Name("warm"), n.Num(40)), n.Tier(n.Name("hot"), n.Num(70))))
    assert item("tiers fit: D, C >= 10").group == n.Name("fit")
    assert item('disqualify competitor when domain(email) in ["rival.com"]') == n.Disqualify(
        n.Name("competitor"),
        n.Membership(n.Call("domain", n.Name("email")), n.ListLiteral((n.Str("rival.com"),)), False))


def test_event_keyword_as_a_stream_then_as_a_declaration():
    model = ast("rule d: -15 when no event within 90d\nevent page_view(url: text)\n"
                "rule e: +1 each event\nevent x")
    assert [type(i) for i in model.items] == [n.Rule, n.EventDecl, n.Rule, n.EventDecl]


# ---- spans ------------------------------------------------------------------------------

LAID_OUT = '''model "m" version 2
field employees: number   # a comment
rule headcount: by employees {
    1000..     => +5
    500..999   => +15
    else       => 0
}, tag fit
rule demo: +30 when any demo_request[x == "a"] within 30d and not (employees in 1..5)
'''

SQUASHED = ('model "m" version 2 field employees:number rule headcount:by employees{1000..=>+5 '
            '500..999=>+15 else=>0},tag fit rule demo:+30 when any demo_request[x=="a"]within 30d '
            'and not(employees in 1..5)')


def test_spans_do_not_take_part_in_equality():
    first, second = ast(LAID_OUT), ast(SQUASHED)
    assert first == second
    assert first.items[1].span != second.items[1].span


def test_spans_point_at_the_source():
    text = 'field e: number\nrule big: +10 when e >= 1000\n'
    model = ast(text)
    rule = model.items[1]
    assert (rule.span.line, rule.span.column) == (2, 1)
    assert (rule.name.span.line, rule.name.span.column, rule.name.span.end_column) == (2, 6, 9)
    compare = rule.body.condition
    assert text[compare.span.start:compare.span.end] == "e >= 1000"
    assert (compare.left.span.line, compare.left.span.column) == (2, 20)


# ---- keywords ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "rule when: +1 when x",
    "field count: number",
    "event e(count: number)",
    "group leads { }",
    "rule and: +1 when x",
    "list score = []",
    "field text: text",
])
def test_a_keyword_is_never_a_name(text):
    assert "E-reserved" in syntax_codes(text)


@pytest.mark.parametrize("text", [
    "rule r: +5 wheny == 1",
    "rule r: byemployees { else => 0 }",
    "rule r: +1 eachpage_view",
])
def test_a_keyword_glued_to_a_name_is_one_name(text):
    """Without the keyword post-lexer these would lex as `when y`, `by employees`, `each page_view`."""
    assert syntax_codes(text) == ["E-syntax"]


def test_a_keyword_prefix_does_not_split_a_name():
    assert cond("notx") == n.Name("notx")
    assert cond("anydemo or nowhere") == n.Or(n.Name("anydemo"), n.Name("nowhere"))


def test_names_that_contain_keywords_are_names():
    model = ast("field first_name: text\nfield notes: text\nfield is_customer: bool\n"
                "field index: number\nfield within_days: number\nfield known_as: text\n"
                "rule r: +1 when is_customer and first_name is known and notes contains \"x\" "
                "and index > 1 and within_days < 3")
    names = [i.name.id for i in model.items if isinstance(i, n.FieldDecl)]
    assert names == ["first_name", "notes", "is_customer", "index", "within_days", "known_as"]


def test_a_keyword_column_is_bound_with_from():
    decl = item('field event_count: number from "count"')
    assert decl.column == n.Str("count")


# ---- negative cases -----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "rule r: +1 when x > 6 mo",                 # a space before the unit
    "rule r: +1 when x > 6m",                   # no minute unit
    "rule r: +1 when x > 30days",
    "rule r: +1 when x > 5x",
    "rule r: +1 when x > 1_",
    "rule r: +1 when x > 1__0",
    "rule r: +1 when 1 < x < 5",                # comparisons do not chain
    'rule r: +1 when x == "a" == "b"',
    "rule r: +1 when count(a) within 7d > 1",   # `within` belongs to the stream
    "rule r: +1 when any a within 7d[x == 1]",  # filter before window
    "rule r: +1 when x max 5",                  # options follow a comma
    "rule r: by x { else => 0 } max 5",
    "rule r: 15 when x",                        # points need a sign
    "rule r: +1 when x == 0.",
    'rule r: +1 when x == "a\nb"',              # a string does not span lines
    "rule r: by x { unknown, 1 => 0 }",         # `unknown` stands alone
    "rule r: by x { }",                         # a table has arms
    "group g, max 5 { }",                       # the first group option has no comma
    "group g { tiers: a }",                     # a group holds rules only
    "rule r: +1 when x in 1..5..6",
    "rule r: +1 when x = 1",
    'rule r: +1 when x matches y',              # a pattern is a literal
    'model "m"\nmodel "n"',
    'field x: text\nmodel "m"',
])
def test_rejected(text):
    syntax_codes(text)


def test_the_grammar_rejects_the_same_texts_in_strict_mode(strict_parser):
    for text in ["rule r: +1 when 1 < x < 5", "rule r: +5 wheny == 1", "rule r: +1 when x > 6 mo"]:
        with pytest.raises(UnexpectedInput):
            strict_parser.parse(text)


def test_newlines_and_comments_carry_no_meaning():
    one = ast("rule r: +1 when x # why\n and y\nrule s: +1 when z")
    two = ast("rule r:\n+1\nwhen\nx\nand\ny rule s: +1 when z # end")
    assert one == two


def test_an_empty_model_parses():
    assert ast("") == n.Model(None, ())
    assert ast("# only a comment\n\n") == n.Model(None, ())


def test_analyze_uses_the_same_parser():
    analysis = analyze("field x: number\nrule r: +1 when x >= 1_000")
    assert analysis.diagnostics == ()
    assert analysis.model.rules[0].condition.right.value == 1000.0
