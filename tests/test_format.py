"""`leadscore fmt` and `dsl/format.py` (INTERFACE.md §1, docs/format.md).

- each construct has its canonical layout, and formatting is idempotent;
- comments are kept where they were: leading, trailing (in their column),
  on a block's opening line, in tables, in groups, in lists, at the end of a
  block and of the file; a comment inside a one-line item moves above it;
  no comment is ever lost;
- the command: in place (only when changed), `--check`, `--diff`, `-`,
  invalid models left untouched with their diagnostics;
- the shipped examples are fmt-clean;
- hypothesis: for generated models, laid out again with random whitespace,
  line breaks, blank lines and comments between their tokens, the AST is
  unchanged (options in canonical order), the checked model too, no
  comment is lost, fmt(fmt(m)) == fmt(m), and changing points through the
  formatter changes only the lines that hold them.
"""

from __future__ import annotations

import collections
import os
import random
import re
import sys
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadscore.cli import main
from leadscore.dsl import analyze
from leadscore.dsl import ir
from leadscore.dsl import nodes as n
from leadscore.dsl.format import (FormatError, comment_texts, format_source, format_tree, map_caps, map_points,
                                  map_thresholds, normalized, parse_tree, points_text)
from leadscore.dsl.source import Source

sys.path.insert(0, os.path.dirname(__file__))

try:  # the shared model generator (tests/strategies.py), when it is there
    import strategies as S  # noqa: E402
    models = S.models
    LIST_DIR = S.LIST_DIR
except ImportError:  # pragma: no cover - a small generator of our own
    S = None
    models = None
    LIST_DIR = None

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.score"))


def fmt(text: str) -> str:
    result = format_source(text)
    assert format_source(result) == result, "not idempotent:\n" + result
    return result


def tree(text: str) -> n.Model:
    return parse_tree(Source(text))


def same_ast(a: str, b: str) -> bool:
    return normalized(tree(a)) == normalized(tree(b))


def lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


# ---- constructs ---------------------------------------------------------------------

CANONICAL = {
    "header": ('model   "m"  version  2', 'model "m" version 2\n'),
    "header without version": ('model "a \\"b\\""', 'model "a \\"b\\""\n'),
    "field": ('field  a :text', "field a: text\n"),
    "field from and sentinels": ('field a: number from"Col" ,unknown 999 , "N/A","-"',
                                 'field a: number from "Col", unknown 999, "N/A", "-"\n'),
    "event": ("event  e( x :text from \"c\" ,y: number )", 'event e(x: text from "c", y: number)\n'),
    "event without attributes": ("event   e", "event e\n"),
    "list": ('list l = [ "a" ,"b" ]', 'list l = ["a", "b"]\n'),
    "empty list": ("list l = [ ]", "list l = []\n"),
    "number list": ("list l = [1_000,2.5, -3]", "list l = [1_000, 2.5, -3]\n"),
    "list file": ('list l  from  "f.txt"', 'list l from "f.txt"\n'),
    "clamp": ("clamp 0 .. 100", "clamp 0..100\n"),
    "clamp open": ("clamp ..80", "clamp ..80\n"),
    "clamp negative": ("clamp -10..50", "clamp -10..50\n"),
    "condition rule": ('rule  r :+5  when  a=="x"', 'rule r: +5 when a == "x"\n'),
    "zero and negative points": ("rule r: 0 when a\nrule s: -2.5 when a",
                                 "rule r: 0 when a\nrule s: -2.5 when a\n"),
    "each rule": ("rule r: +1 each e [ x > 1 ] within 6mo", "rule r: +1 each e[x > 1] within 6mo\n"),
    "options in order": ('rule r: +1 each e, because "b", tag t, decay expire 9d, distinct x, max 9, max 2 per 1w',
                         'rule r: +1 each e, max 2 per 1w, max 9, distinct x, decay expire 9d, tag t, because "b"\n'),
    "decay specs": ("rule r: +1 each e, decay 12.5% per 30d\nrule s: +1 each e, decay half_life 1.5d",
                    "rule r: +1 each e, decay 12.5% per 30d\nrule s: +1 each e, decay half_life 1.5d\n"),
    "table": ("rule r: by x { 1..5=>+1\n  \"a\",\"bb\" => -2 unknown=>0 else => 0 }, because \"t\"",
              lines("rule r: by x {", '    1..5      => +1', '    "a", "bb" => -2', "    unknown   => 0",
                    "    else      => 0", '}, because "t"')),
    "group": ("group g decay half_life 3d, max 5 ,min -1 { rule r: +1 when a }",
              lines("group g min -1, max 5, decay half_life 3d {", "    rule r: +1 when a", "}")),
    "empty group": ("group g max 5 {   }", "group g max 5 {}\n"),
    "campaign": ("campaign c { rule r: +1 when a tiers : x, y>=5 qualify q when score>=1 }",
                 lines("campaign c {", "    rule r: +1 when a", "    tiers: x, y >= 5",
                       "    qualify q when score >= 1", "}")),
    "account": ('account by domain(e) where domain(e) not in l { rule r: +1 when count(leads)>=3 }',
                lines("account by domain(e) where domain(e) not in l {", "    rule r: +1 when count(leads) >= 3", "}")),
    "tiers on a group": ("tiers  fit : D,C>=10", "tiers fit: D, C >= 10\n"),
    "qualify and disqualify": ('qualify q when score>=5\ndisqualify d when domain(e) in ["x.com"]',
                               'qualify q when score >= 5\ndisqualify d when domain(e) in ["x.com"]\n'),
}

EXPRESSIONS = {
    "logic": ("a or b and not c", "a or b and not c"),
    "parentheses kept": ("(a or b) and not (c)", "(a or b) and not (c)"),
    "double parentheses kept": ("((a))", "((a))"),
    "call parentheses are the call's": ("domain( e ) == \"x\"", 'domain(e) == "x"'),
    "call with a parenthesized argument": ("domain((e)) == \"x\"", 'domain((e)) == "x"'),
    "comparison": ("x>=1", "x >= 1"),
    "membership": ('x not in ["a","b"] and y in 1..5 and z in l', 'x not in ["a", "b"] and y in 1..5 and z in l'),
    "text tests": ('x contains "a" or x starts  with "b" or x ends   with "c"',
                   'x contains "a" or x starts with "b" or x ends with "c"'),
    "matches keeps its escapes": ('x matches "^\\d+\\.$"', 'x matches "^\\d+\\.$"'),
    "presence": ("x is  known and y is unknown", "x is known and y is unknown"),
    "time arithmetic": ("last e - first f <= 3d and now - last e > 2w", "last e - first f <= 3d and now - last e > 2w"),
    "aggregates": ("count( e[ x ] within 7d )>=3 and sum(e ,s)>1 and any e and no event within 1y",
                   "count(e[x] within 7d) >= 3 and sum(e, s) > 1 and any e and no event within 1y"),
    "days_since": ("days_since( d )<=14", "days_since(d) <= 14"),
    "numbers as written": ("x == 1_000 or x == 2.50 or x == -0.5", "x == 1_000 or x == 2.50 or x == -0.5"),
    "strings as written": ('x == "caf\\u00e9" or x == "a\\"b\\\\"', 'x == "caf\\u00e9" or x == "a\\"b\\\\"'),
    "booleans": ("f == true or f != false", "f == true or f != false"),
}


@pytest.mark.parametrize("source, expected", CANONICAL.values(), ids=CANONICAL.keys())
def test_canonical_layout(source, expected):
    assert fmt(source) == expected
    assert same_ast(source, expected)


@pytest.mark.parametrize("source, expected", EXPRESSIONS.values(), ids=EXPRESSIONS.keys())
def test_expressions(source, expected):
    result = fmt(f"rule r: +1 when {source}")
    assert result == f"rule r: +1 when {expected}\n"
    assert same_ast(f"rule r: +1 when {source}", result)


def test_blank_lines_are_kept_once_and_never_at_the_edges_of_a_block():
    source = lines("", "", "field a: bool", "", "", "", "field b: bool", "field c: bool",
                   "group g {", "", "    rule r: +1 when a", "", "", "    rule s: +1 when b", "", "}")
    assert fmt(source) == lines("field a: bool", "", "field b: bool", "field c: bool", "",
                                "group g {", "    rule r: +1 when a", "", "    rule s: +1 when b", "}")


def test_blocks_are_set_off_by_blank_lines():
    source = "field a: bool\ngroup g {\nrule r: +1 when a\n}\ncampaign c {\n}\nrule s: +1 when a\n"
    assert fmt(source) == lines("field a: bool", "", "group g {", "    rule r: +1 when a", "}", "",
                                "campaign c {}", "", "rule s: +1 when a")


def test_empty_and_comment_only_files():
    assert fmt("") == ""
    assert fmt("\n\n  \n") == ""
    assert fmt("# only\n\n\n# comments   \n") == "# only\n\n# comments\n"


def test_table_alignment_ignores_very_long_arms():
    long = ", ".join(f'"value number {i}"' for i in range(4))
    source = lines("rule r: by x {", '  "a" => +1', f"  {long} => +2", '  "bbb" => 0', "}")
    assert fmt(source) == lines("rule r: by x {", '    "a"   => +1', f"    {long} => +2",
                                '    "bbb" => 0', "}")


def test_aligned_rules_stay_aligned_and_others_get_one_space():
    aligned = lines("rule a:     +1 when x", "rule bbbbb: +2 when x", "rule cc:  +3 when x")
    # `cc` did not start its points in the others' column: it is not part of their run
    assert fmt(aligned) == lines("rule a:     +1 when x", "rule bbbbb: +2 when x", "rule cc: +3 when x")
    exact = lines("rule a:      +1 when x", "rule bbbbb:  +2 when x", "rule cc:     +3 when x")
    assert fmt(exact) == lines("rule a:     +1 when x", "rule bbbbb: +2 when x", "rule cc:    +3 when x")
    plain = lines("rule a: +1 when x", "rule bbbbb: +2 when x")
    assert fmt(plain) == plain
    # a blank line ends the run
    split = lines("rule a:     +1 when x", "rule bbbbb: +2 when x", "", "rule c:     +3 when x")
    assert fmt(split).splitlines()[-1] == "rule c: +3 when x"


# ---- comments -----------------------------------------------------------------------

def assert_comments_kept(source: str, result: str) -> None:
    assert collections.Counter(comment_texts(source)) == collections.Counter(comment_texts(result))


def test_leading_and_trailing_comments():
    source = lines("# about a", "field a: bool   # trailing, column kept", "",
                   "  # about b, re-indented", "field b:number # pushed to two spaces")
    result = fmt(source)
    assert result == lines("# about a", "field a: bool   # trailing, column kept", "",
                           "# about b, re-indented", "field b: number  # pushed to two spaces")
    assert_comments_kept(source, result)


def test_aligned_trailing_comments_stay_aligned():
    source = lines("field a: text          # one", "field bb:   text        # two")
    assert fmt(source) == lines("field a: text          # one", "field bb: text          # two")
    # also when their lines are indented anew
    source = lines("group g {", "rule a: +1 when x      # one", "rule bbbb: +1 when x   # two", "}")
    assert fmt(source) == lines("group g {", "    rule a: +1 when x      # one", "    rule bbbb: +1 when x   # two", "}")


def test_comments_in_groups_tables_and_at_the_end_of_blocks():
    source = lines(
        "group g max 5 {   # the group",
        "# about r",
        "rule r: by x {  # the table",
        "1 => +1   # one",
        "    # before two",
        "",
        "2 => +2",
        "# end of table",
        "}, because \"t\"  # after the table",
        "",
        "    # end of group",
        "}",
        "# end of file")
    result = fmt(source)
    assert result == lines(
        "group g max 5 {   # the group",
        "    # about r",
        "    rule r: by x {  # the table",
        "        1 => +1   # one",
        "        # before two",
        "",
        "        2 => +2",
        "        # end of table",
        '    }, because "t"  # after the table',
        "",
        "    # end of group",
        "}",
        "# end of file")
    assert_comments_kept(source, result)


def test_comment_inside_a_one_line_item_moves_above_it():
    source = lines("rule r: +1 when a  # first line",
                   "    or b   # second line",
                   "field x: bool")
    result = fmt(source)
    assert result == lines("# first line", "rule r: +1 when a or b  # second line", "field x: bool")
    assert_comments_kept(source, result)


def test_comments_inside_conditions_options_and_headers():
    source = lines('model "m" # header',
                   "  version 1",
                   "rule r: +1 each e, # why",
                   "  max 5, # cap",
                   "  tag t",
                   "account by domain(e) # key",
                   "  where domain(e) # filter",
                   "  not in l {",
                   "}")
    result = fmt(source)
    assert_comments_kept(source, result)
    assert same_ast(source, result)
    assert result == lines("# header", 'model "m" version 1', "# why", "# cap", "rule r: +1 each e, max 5, tag t",
                           "", "# key", "# filter", "account by domain(e) where domain(e) not in l {}")


def test_hash_in_a_string_is_not_a_comment():
    source = 'rule r: +1 when x == "#1" # real\n'
    assert comment_texts(source) == ["# real"]
    assert fmt(source) == 'rule r: +1 when x == "#1"  # real\n'


def test_lists_written_over_lines_keep_their_comments():
    source = lines('list l = [  # the list', '"a",   # first', '# before b', '"b"', '# end', ']  # after')
    assert fmt(source) == lines('list l = [  # the list', '    "a",   # first', '    # before b', '    "b"',
                                "    # end", "]  # after")
    assert fmt(lines('list l = [', '"a", "b"]')) == lines("list l = [", '    "a",', '    "b"', "]")
    # a comment inside a one-line list opens it up
    assert fmt(lines('list l = ["a", # x', '"b"]')) == lines("list l = [", '    "a",           # x', '    "b"', "]")


# ---- errors and guarantees ----------------------------------------------------------

def test_text_that_does_not_parse_is_an_error():
    with pytest.raises(FormatError) as error:
        format_source("rule r: +1 when (", "bad.score")
    assert error.value.diagnostics and error.value.diagnostics[0].code.startswith("E-")


def test_a_layout_that_would_change_the_model_is_refused(monkeypatch):
    from leadscore.dsl import format as F
    class Broken(F.Formatter):
        def option_TagOption(self, option):
            return "tag other"
    monkeypatch.setattr(F, "Formatter", Broken)
    with pytest.raises(FormatError, match="change its meaning"):
        format_source("rule r: +1 when a, tag t\n")
    monkeypatch.undo()
    monkeypatch.setattr(F.Line, "render", lambda self: F.INDENT * self.depth + self.text)
    with pytest.raises(FormatError, match="lose a comment"):
        format_source("field a: bool  # gone\n")


def test_a_tree_without_source_is_written_canonically():
    source = lines('field a: number, unknown 1_000', 'rule r: +2.50 each e within 6mo, max 1_0',
                   'rule s: by a { 1_0..2_0 => +1 }', 'rule t: +1 when x matches "\\d"')
    parsed = tree(source)
    bare = format_tree(parsed)
    assert normalized(tree(bare)) == normalized(parsed)
    assert "1_000" not in bare and "10..20" in bare and '"\\\\d"' in bare


def test_format_expr_and_crlf_text():
    from leadscore.dsl.format import format_expr
    source = Source('rule r: +1 when ( a  or b )and count( e[x] within 7d )>1\n')
    condition = parse_tree(source).items[0].body.condition
    assert format_expr(condition, source) == "(a or b) and count(e[x] within 7d) > 1"
    assert format_expr(condition) == "(a or b) and count(e[x] within 7d) > 1"
    assert format_source("field a: bool\r\nrule r: +1 when a # c\r\n") == "field a: bool\nrule r: +1 when a  # c\n"


def test_points_text():
    assert [points_text(v) for v in (15, -20, 0, 2.5, -0.5, 3.0, 1e-7)] == \
        ["+15", "-20", "0", "+2.5", "-0.5", "+3", "+0.0000001"]


# ---- changing points through the formatter ------------------------------------------

def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(), after.splitlines()
    assert len(a) == len(b), "changing points changed the number of lines"
    return [(x, y) for x, y in zip(a, b) if x != y]


def only_points_differ(old: str, new: str) -> bool:
    x, y = old.split(), new.split()
    return len(x) == len(y) and sum(p != q for p, q in zip(x, y)) == 1


def test_changing_points_changes_only_their_lines():
    path = ROOT / "examples" / "b2b.score"
    source = Source(path.read_text("utf-8"), str(path))
    parsed = parse_tree(source)
    before = format_tree(parsed, source)

    def change(scope, rule, arm, points):
        if rule in ("exec_sponsor", "opens", "demo") or (rule == "role" and arm == 1):
            return points.value * 10 + 1
        return None
    edited = map_points(parsed, change)
    after = format_tree(edited, source)
    diff = changed_lines(before, after)
    assert len(diff) == 4
    assert all(only_points_differ(x, y) for x, y in diff)
    assert any("rule exec_sponsor:     +101 when" in y for _, y in diff)
    assert any('"VP", "Director" => +101' in y for _, y in diff)
    assert format_source(after) == after
    assert normalized(tree(after)) == normalized(edited)


def test_caps_and_thresholds_change_only_their_lines():
    path = ROOT / "examples" / "b2b.score"
    source = Source(path.read_text("utf-8"), str(path))
    parsed = parse_tree(source)
    before = format_tree(parsed, source)
    seen = []

    def threshold(scope, line, value):
        seen.append((scope, line))
        return value + 2.5 if scope == "global" and line in (("tiers", None, 1), ("qualify", "mql")) else None
    edited = map_thresholds(map_caps(parsed, lambda scope, rule, per, limit: limit * 3 if rule == "clicks" else None),
                            threshold)
    after = format_tree(edited, source)
    diff = changed_lines(before, after)
    assert [y.strip() for _, y in diff] == [
        "rule clicks: +5 each email_click within 30d, max 60",
        "tiers: cold, warm >= 40, hot >= 72.5        # on the total",        # comments keep their column
        "qualify mql when score >= 67.5              # marketing-qualified"]
    # every threshold is offered once, except the compound `sql` stage
    assert ("global", ("qualify", "sql")) not in seen
    assert ("campaign webinar_q3", ("tiers", "roadmap_interest", 0)) in seen
    assert ("global", ("tiers", "fit", 2)) in seen and len(seen) == 10   # 6 global, 4 in the campaign
    assert format_source(after) == after
    assert normalized(tree(after)) == normalized(edited)


def test_map_points_scopes():
    source = lines("rule a: +1 when x", "group g {", "rule b: +1 when x", "}",
                   "campaign c {", "rule a: +1 when x", "group h {", "rule d: +1 when x", "}", "}",
                   "account by k {", "rule e: by x { 1 => +1 else => 0 }", "}")
    seen = []
    map_points(tree(source), lambda scope, rule, arm, p: seen.append((scope, rule, arm)))
    assert seen == [("global", "a", None), ("g", "b", None), ("campaign c", "a", None),
                    ("campaign c/h", "d", None), ("account", "e", 0), ("account", "e", 1)]


# ---- the examples -------------------------------------------------------------------

@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_are_fmt_clean(path):
    text = path.read_text("utf-8")
    assert format_source(text, str(path)) == text, f"run `leadscore fmt {path.relative_to(ROOT)}`"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
@pytest.mark.parametrize("seed", range(3))
def test_examples_laid_out_at_random_come_back(path, seed):
    text = path.read_text("utf-8")
    messy = mangle(text, seed, 40)
    result = format_source(messy, str(path))
    assert normalized(tree(result)) == normalized(tree(text))
    assert collections.Counter(comment_texts(messy)) == collections.Counter(comment_texts(result))
    assert format_source(result) == result
    before = analyze(text, str(path), path.parent)
    after = analyze(result, str(path), path.parent)
    assert before.model is not None and without_texts(after.model) == without_texts(before.model)


# ---- the command --------------------------------------------------------------------

MESSY = 'field  a: bool\nrule r:+1 when a # c\n'
CLEAN = 'field a: bool\nrule r: +1 when a  # c\n'


def run(*args, stdin=None):
    return CliRunner().invoke(main, ["fmt", *map(str, args)], input=stdin)


def test_fmt_rewrites_only_changed_files(tmp_path):
    messy, clean = tmp_path / "messy.score", tmp_path / "clean.score"
    messy.write_text(MESSY)
    clean.write_text(CLEAN)
    os.utime(clean, (1_000_000, 1_000_000))
    result = run(messy, clean)
    assert result.exit_code == 0, result.output
    assert messy.read_text() == CLEAN
    assert clean.stat().st_mtime == 1_000_000
    assert f"reformatted {messy}" in result.output
    assert "1 file reformatted, 1 file left unchanged" in result.output


def test_fmt_check(tmp_path):
    messy, clean = tmp_path / "messy.score", tmp_path / "clean.score"
    messy.write_text(MESSY)
    clean.write_text(CLEAN)
    result = run("--check", messy, clean)
    assert result.exit_code == 1
    assert f"would reformat {messy}" in result.stdout
    assert str(clean) not in result.stdout
    assert messy.read_text() == MESSY
    assert run("--check", clean).exit_code == 0


def test_fmt_diff(tmp_path):
    messy = tmp_path / "messy.score"
    messy.write_text(MESSY)
    result = run("--diff", messy)
    assert result.exit_code == 0
    assert "-rule r:+1 when a # c" in result.stdout and "+rule r: +1 when a  # c" in result.stdout
    assert messy.read_text() == MESSY
    assert run("--diff", "--check", messy).exit_code == 1


def test_fmt_stdin_to_stdout():
    result = run("-", stdin=MESSY)
    assert result.exit_code == 0
    assert result.stdout == CLEAN
    assert run("--check", "-", stdin=CLEAN).exit_code == 0
    assert run("--check", "-", stdin=MESSY).exit_code == 1
    text = 'field a: text\nrule r:  +1 when a == "Straße"  # ü\n'
    result = run("-", stdin=text.encode("utf-8"))
    assert result.exit_code == 0 and result.stdout == 'field a: text\nrule r: +1 when a == "Straße"   # ü\n'


def test_fmt_leaves_an_invalid_model_untouched(tmp_path):
    bad, messy = tmp_path / "bad.score", tmp_path / "messy.score"
    bad.write_text("rule  r: +1 when nothing\n")
    messy.write_text(MESSY)
    result = run(bad, messy)
    assert result.exit_code == 1
    assert "unknown field `nothing`" in result.output and "E-unknown-name" in result.output
    assert bad.read_text() == "rule  r: +1 when nothing\n"
    assert messy.read_text() == CLEAN
    syntax = tmp_path / "syntax.score"
    syntax.write_text("rule r: +1 when (\n")
    assert run("--check", syntax).exit_code == 1


def test_fmt_unreadable_file_and_usage(tmp_path):
    result = run(tmp_path / "missing.score")
    assert result.exit_code == 1 and "cannot read the model" in result.output
    assert run().exit_code == 2
    assert "leadscore fmt --check" in run("--help").output


def test_fmt_resolves_list_files_beside_the_model(tmp_path):
    (tmp_path / "names.txt").write_text("a\n")
    model = tmp_path / "m.score"
    model.write_text('list  names from "names.txt"\n')
    assert run(model).exit_code == 0
    assert model.read_text() == 'list names from "names.txt"\n'


def test_crlf_files_are_rewritten_with_lf(tmp_path):
    model = tmp_path / "m.score"
    model.write_bytes(CLEAN.replace("\n", "\r\n").encode())
    assert run("--check", model).exit_code == 1
    assert run(model).exit_code == 0
    assert model.read_bytes() == CLEAN.encode()


# ---- hypothesis: generated models, laid out at random -------------------------------

TOKEN = re.compile(r'"(?:[^"\\\n]|\\[^\n])*"|#[^\n]*|[ \t\r\n]+|[(){}\[\],:]|[^\s"#(){}\[\],:]+')
ODD_COMMENTS = ['# {', '# "unclosed', '# => +1', '# ) ] }', '#', '#no space', '# rule x: +1 when y']


def mangle(text: str, seed: int, intensity: int) -> str:
    """`text` with its token gaps re-laid at random: spaces, tabs, line breaks,
    blank lines, trailing and own-line comments."""
    rng = random.Random(seed)
    out, counter = [], [0]

    def comment() -> str:
        counter[0] += 1
        return rng.choice(ODD_COMMENTS) + f" c{counter[0]}"

    tokens = TOKEN.findall(text)
    for i, token in enumerate(tokens):
        is_gap = token.isspace()
        after_comment = i > 0 and tokens[i - 1].startswith("#")
        if (is_gap or (i > 0 and not tokens[i - 1].isspace())) and rng.randrange(100) < intensity:
            choice = rng.randrange(8)
            gap = [" ", "  ", "\t", "\n", "\n\n\n", f"  {comment()}\n", f"\n{comment()}\n\n",
                   f"\n   {comment()}\n{comment()}\n"][choice]
            if after_comment and "\n" not in gap[:1]:
                gap = "\n" + gap
            out.append(gap)
            if not is_gap:
                out.append(token)
        else:
            out.append(token)
    return "".join(out)


def _ir_map(node, change):
    if isinstance(node, tuple):
        return tuple(_ir_map(x, change) for x in node)
    if not attrs.has(type(node)):
        return node
    changes = {}
    for field in attrs.fields(type(node)):
        if not field.init or field.name == "span":
            continue
        value = getattr(node, field.name)
        new = _ir_map(value, change)
        if new is not value:
            changes[field.name] = new
    changes.update(change(node))
    return attrs.evolve(node, **changes) if changes else node


def _rule_indexes(node, found: list) -> list:
    if isinstance(node, tuple):
        for x in node:
            _rule_indexes(x, found)
    elif attrs.has(type(node)):
        if isinstance(node, ir.Rule):
            found.append(node.index)
        for field in attrs.fields(type(node)):
            _rule_indexes(getattr(node, field.name), found)
    return found


def comparable(model, texts: bool = True):
    """A checked model with what layout may change made equal: a rule's
    `index` (its offset in the source: only the order matters) and, with
    `texts=False`, the snippets of source kept for explanations (a default
    reason, an arm's text, a stage's text)."""
    rank = {index: i for i, index in enumerate(sorted(set(_rule_indexes(model, []))))}

    def change(node):
        out = {}
        if isinstance(node, ir.Rule):
            out["index"] = rank[node.index]
            if not texts and not node.reason_given:
                out["reason"] = ""
        if not texts and isinstance(node, (ir.Arm, ir.Stage)):
            out["text"] = ""
        return out
    return _ir_map(model, change)


def without_texts(model):
    return comparable(model, texts=False)


@pytest.mark.skipif(models is None, reason="tests/strategies.py is not available")
@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(model=models() if models is not None else st.nothing(),
       seed=st.integers(0, 2**32 - 1), intensity=st.sampled_from([0, 0, 5, 20, 60]),
       change=st.integers(0, 2**32 - 1))
def test_generated_models(model, seed, intensity, change):
    text = getattr(model, "text", model)
    messy = mangle(text, seed, intensity) if intensity else text

    # the meaning: the same AST (options in canonical order) ...
    messy_source = Source(messy)
    parsed = parse_tree(messy_source)
    result = format_tree(parsed, messy_source)
    source = Source(result)
    laid = parse_tree(source)
    assert normalized(laid) == normalized(parsed), result
    # ... and, for the model as generated, the same checked model, reasons included
    # (from text laid out at random, the reasons that quote the source differ)
    if messy == text:
        checked = analyze(result, "generated.score", LIST_DIR)
        assert comparable(checked.model) == comparable(S.checked(text).model)

    # every comment kept; idempotent
    assert collections.Counter(comment_texts(messy)) == collections.Counter(comment_texts(result))
    assert format_tree(laid, source) == result

    # points changed through the formatter change only their own lines
    rng = random.Random(change)

    def new_points(scope, rule, arm, points):
        return rng.choice([7, -12.5, 0, 100, points.value]) if rng.random() < 0.3 else None
    edited = map_points(laid, new_points)
    after = format_tree(edited, source)
    for old, new in changed_lines(result, after):
        assert only_points_differ(old, new), (old, new)
    if after == result:
        return
    after_source = Source(after)
    reparsed = parse_tree(after_source)
    assert normalized(reparsed) == normalized(edited)
    assert format_tree(reparsed, after_source) == after
