"""A result's JSON Lines text (INTERFACE.md §5), written by the SQL engine itself.

At scale, turning a million output rows into `ScoreResult`s and then into
JSON costs more than scoring them. So for `score --format jsonl` the query
can give each lead the text of its result from `"score"` to `"clamped"`,
exactly as `json.dumps` writes it (`runtime/output.py`); the caller adds the
id, the warnings and `now`, which it knows.

Everything but numbers and tiers' choices is fixed by the model: keys,
group, tier, stage and tag names are rendered here by `json.dumps` and reach
the query as string literals. Numbers are written by the engine
(`Dialect.float_text`), which must write every double as Python's `repr`
does: `runtime.sqlengine` checks that on the engine before using this
form. A row with a number that is not finite gets NULL, and its caller
builds that result the ordinary way.
"""

from __future__ import annotations

import json

from sqlglot import exp

from .build import NameList, balanced, call, lit
from .dialects import Dialect, SqlUnsupported


def json_name(value: str) -> str:
    """A name as `json.dumps` writes it in a result line."""
    return json.dumps(value, ensure_ascii=False)


class _Line:
    """Literal text and SQL pieces, joined in order; adjacent literals merged."""

    def __init__(self):
        self.pieces: list = []

    def text(self, value: str) -> None:
        if self.pieces and isinstance(self.pieces[-1], str):
            self.pieces[-1] += value
        else:
            self.pieces.append(value)

    def sql(self, e: exp.Expression) -> None:
        self.pieces.append(e)

    def expression(self) -> exp.Expression:
        return _concat([lit(p) if isinstance(p, str) else p for p in self.pieces])


def _concat(parts: list) -> exp.Expression:
    """One CONCAT of every part: one string built, not one per `||` (a third faster on DuckDB).
    CONCAT skips a NULL part; `result_json` makes the whole line NULL where a number is NULL."""
    return parts[0] if len(parts) == 1 else call("CONCAT", *parts)


def _names(pairs: list) -> exp.Expression:
    """`["a", "b"]` of the names whose condition holds, in order."""
    if isinstance(pairs, NameList):
        return _concat([lit("["), call("ARRAY_TO_STRING", pairs.items(json_name), lit(", ")), lit("]")])
    if not pairs:
        return lit("[]")
    items = [exp.Case(ifs=[exp.If(this=cond, true=lit(json_name(name) + ", "))], default=lit(""))
             for cond, name in pairs]
    inner = exp.Trim(this=_concat(items), expression=lit(", "), position="TRAILING")
    return _concat([lit("["), inner, lit("]")])


def result_json(parts: dict, dialect: Dialect) -> exp.Expression:
    """`"score": …, "tier": …, …, "clamped": …` of one result; NULL when a number is not finite."""
    if dialect.float_text(exp.Null()) is None:
        raise SqlUnsupported(f"{dialect.name} cannot write results as JSON text")
    line, numbers = _Line(), []

    def number(e: exp.Expression) -> None:
        numbers.append(e)
        line.sql(dialect.float_text(e.copy()))

    def choice(e: exp.Expression | None) -> None:
        """A tier: its name already written as JSON text by the query, or null without tiers."""
        if e is None:
            line.text("null")
        else:
            line.sql(e)

    def mapping(items: dict, write) -> None:
        line.text("{")
        for i, (name, e) in enumerate(items.items()):
            line.text((", " if i else "") + json_name(name) + ": ")
            write(e)
        line.text("}")

    line.text('"score": ')
    number(parts["score"])
    line.text(', "tier": ')
    choice(parts["tier"])
    line.text(', "groups": ')
    mapping(parts["groups"], number)
    line.text(', "group_tiers": ')
    mapping(parts["group_tiers"], choice)
    for key in ("qualified", "disqualified", "tags"):
        line.text(f', "{key}": ')
        line.sql(_names(parts[key]))
    line.text(', "campaigns": {')
    for i, (name, c) in enumerate(parts["campaigns"].items()):
        line.text((", " if i else "") + json_name(name) + ': {"score": ')
        number(c["score"])
        line.text(', "tier": ')
        choice(c["tier"])
        line.text(', "qualified": ')
        line.sql(_names(c["qualified"]))
        line.text(', "groups": ')
        mapping(c["groups"], number)
        line.text(', "group_tiers": ')
        mapping(c["group_tiers"], choice)
        line.text(', "tags": ')
        line.sql(_names(c["tags"]))
        line.text("}")
    line.text('}, "clamped": ')
    line.sql(exp.Case(ifs=[exp.If(this=parts["clamped"], true=lit("true"))], default=lit("false")))
    # finite when every number is (an overflow to inf is only a row Python builds): any grouping does
    total = balanced([e.copy() for e in numbers], lambda a, b: exp.Add(this=exp.Paren(this=a), expression=exp.Paren(this=b)))
    return exp.Case(ifs=[exp.If(this=exp.Anonymous(this="ISFINITE", expressions=[total]), true=line.expression())])


#: An id `json.dumps` writes as it is between quotes: printable ASCII without `"` or `\`
#: (`engines.rows.json_line`'s fast path, as an RE2 pattern).
PLAIN_ID = r"[ !#-\[\]-~]+"


def result_line(json_text: exp.Expression, lead_id: exp.Expression, position: exp.Expression,
                warnings: exp.Expression, now_json: str, dialect: Dialect) -> exp.Expression:
    """A result's whole JSON Lines line (`engines.rows.json_line` in SQL), so that the engine can
    write the output file itself: `warnings` is the JSON text of the lead's warnings (NULL: none),
    `now_json` that of `now`. A row Python must write instead (a number not finite, an id
    `json.dumps` would escape) is `#` and its position."""
    line = _concat([lit('{"id": "'), lead_id, lit('", '), json_text, lit(', "warnings": '),
                    exp.Coalesce(this=warnings, expressions=[lit("[]")]), lit(', "now": ' + now_json + "}")])
    plain = exp.and_(exp.Not(this=exp.Is(this=json_text.copy(), expression=exp.Null())),
                     dialect.full_match(lead_id.copy(), PLAIN_ID))
    marker = _concat([lit("#"), exp.Cast(this=position, to=dialect.text_type())])
    return exp.Case(ifs=[exp.If(this=plain, true=line)], default=marker)
