"""Raw `leads` and `events` relations → the converted form the scoring query reads.

The SQL twin of runtime/schema.py (LANGUAGE.md §3, §10; INTERFACE.md §3–§4):
every value is read as text, stripped of the whitespace Python strips, and
then blank (unknown), a sentinel (unknown, no warning), converted, or not
convertible (unknown; for fields, the raw text is kept in `w{i}` so the
engine can report the same warning the Python runtime does). Lead ids are
stripped text; a row without one is dropped, and of rows sharing an id the
first (by `__pos`) is kept. Event rows keep their lead id, stripped type and
time in µs; the scoring query drops what the language ignores.

Differences from the Python readers that cannot be closed in SQL are in
docs/sql.md ("Input conversion"): case-folding is LOWER (not Unicode
casefold), and non-text input values (a Parquet double, a JSON number) are
read through the engine's text form of them.
"""

from __future__ import annotations

from sqlglot import exp

from ...dsl import ir
from .build import (DATE_PATTERN, FALSE_WORDS, NUMBER_PATTERN, TIME_PATTERN, TRUE_WORDS, and_, case, col,
                    data_type, ident, lit, num, source_table, table)


class Stager:
    def __init__(self, builder):
        self.b = builder
        self.d = builder.d
        self.model = builder.model

    # ---- one value ------------------------------------------------------------------

    def raw(self, column: str, source_alias: str | None = None) -> exp.Expression:
        if self.b.present is not None and column not in self.b.present:
            return exp.Cast(this=exp.Null(), to=self.d.text_type())
        return exp.Cast(this=col(column, source_alias), to=self.d.text_type())

    def stripped(self, raw: exp.Expression) -> exp.Expression:
        return exp.Nullif(this=self.d.strip(raw), expression=lit(""))

    def converted(self, r: exp.Expression, type_: str) -> exp.Expression:
        """The typed value of stripped, non-blank text `r`; NULL when it does not convert."""
        if type_ == ir.TEXT:
            return r
        if type_ == ir.NUMBER:
            return case((self.d.full_match(r, NUMBER_PATTERN), self.d.to_double(r)))
        if type_ == ir.BOOL:
            word = exp.Lower(this=r)
            return case((exp.In(this=word, expressions=[lit(w) for w in TRUE_WORDS]), exp.true()),
                        (exp.In(this=word.copy(), expressions=[lit(w) for w in FALSE_WORDS]), exp.false()))
        pattern = DATE_PATTERN if type_ == ir.DATE else TIME_PATTERN
        return case((self.d.full_match(r, pattern), self.d.time_us(r)))

    def sentinel(self, r: exp.Expression, field) -> exp.Expression | None:
        tests = []
        if field.sentinel_texts:
            tests.append(exp.In(this=exp.Lower(this=r), expressions=[lit(t) for t in sorted(field.sentinel_texts)]))
        if field.sentinel_numbers:
            number = case((self.d.full_match(r, NUMBER_PATTERN), self.d.to_double(r)))
            tests.append(exp.In(this=number, expressions=[num(x) for x in sorted(field.sentinel_numbers)]))
        return _any_of(tests) if tests else None

    # ---- the CTEs ---------------------------------------------------------------------

    def add_to(self, layers) -> None:
        leads, events = self.b.sources
        layers.add("raw_leads", self.raw_leads(leads))
        layers.add("staged_leads", self.staged_leads())
        layers.add("staged_events", self.staged_events(events))

    def raw_leads(self, source: str) -> exp.Select:
        position = (col(self.b.position) if self.b.position else
                    exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[
                        exp.Ordered(this=self.raw(self.b.id_column))])))
        columns = [exp.alias_(position, ident("__pos")),
                   exp.alias_(self.stripped(self.raw(self.b.id_column)), ident("__id"))]
        for i, f in enumerate(self.model.fields):
            columns.append(exp.alias_(self.raw(f.column), ident(f"raw{i}")))
            columns.append(exp.alias_(self.stripped(self.raw(f.column)), ident(f"r{i}")))
        return exp.select(*columns).from_(source_table(source))

    def staged_leads(self) -> exp.Select:
        columns = [col("__pos"), col("__id")]
        for i, f in enumerate(self.model.fields):
            typed, bad = self.field_columns(i, f)
            columns += typed
            columns.append(exp.alias_(case((bad, col(f"raw{i}"))), ident(f"w{i}")))
        numbered = exp.Window(this=exp.RowNumber(), partition_by=[col("__id")],
                              order=exp.Order(expressions=[exp.Ordered(this=col("__pos"))]))
        converted = (exp.select(*columns, exp.alias_(numbered, ident("__dup")))
                     .from_(table("raw_leads"))
                     .where(exp.Not(this=exp.Is(this=col("__id"), expression=exp.null()))))
        return (exp.select(exp.Star()).from_(exp.alias_(converted.subquery(), ident("c"), table=True))
                .where(exp.EQ(this=col("__dup"), expression=exp.Literal.number(1))))

    def field_columns(self, i: int, f) -> tuple[list, exp.Expression]:
        """Field `i`'s typed columns (`f{i}`, and `s{i}` for text) from its stripped text `r{i}`, and
        whether the value is there but does not convert (the Python runtime warns)."""
        r = col(f"r{i}")
        converted = self.converted(r, f.type)
        sentinel = self.sentinel(r, f)
        value = converted
        if sentinel is not None:
            value = case((sentinel, exp.Cast(this=exp.Null(), to=self._sql_type(f.type))), default=converted)
        text = f.type == ir.TEXT
        columns = [exp.alias_(exp.Lower(this=value) if text else value, ident(f"f{i}"))]
        if text:
            columns.append(exp.alias_(value.copy(), ident(f"s{i}")))
        bad = and_(exp.Not(this=exp.Is(this=r.copy(), expression=exp.null())),
                   exp.Is(this=exp.Paren(this=converted.copy()), expression=exp.null()),
                   *([exp.Not(this=exp.Coalesce(this=exp.Paren(this=sentinel.copy()),
                                                expressions=[exp.false()]))] if sentinel is not None else []))
        return columns, bad

    def _sql_type(self, type_: str) -> exp.DataType:
        if type_ == ir.TEXT:
            return self.d.text_type()
        if type_ == ir.NUMBER:
            return self.d.double()
        if type_ == ir.BOOL:
            return data_type("BOOLEAN")
        return self.d.bigint()

    def event_columns(self) -> list:
        """The distinct columns event attributes are read from, in order."""
        return list(dict.fromkeys(a.column for e in self.model.events for a in e.attributes))

    def event_texts(self, source: str, position: bool) -> exp.Subquery:
        """Each event value as text, stripped once: `__lead`, `__type`, `__at_text`, `c{k}` (raw: `raw{k}`)."""
        columns = [exp.alias_(self.stripped(self.raw(self.b.lead_column)), ident("__lead")),
                   exp.alias_(self.stripped(self.raw("type")), ident("__type")),
                   exp.alias_(self.stripped(self.raw("at")), ident("__at_text"))]
        if position:
            columns.insert(0, col("__epos"))
        for k, column in enumerate(self.event_columns()):
            columns.append(exp.alias_(self.stripped(self.raw(column)), ident(f"c{k}")))
            columns.append(exp.alias_(self.raw(column), ident(f"raw{k}")))
        return exp.alias_(exp.select(*columns).from_(source_table(source)).subquery(), ident("x"), table=True)

    def attribute_text(self, attribute) -> exp.Column:
        return col(f"c{self.event_columns().index(attribute.column)}")

    def staged_events(self, source: str, position: bool = False) -> exp.Select:
        kind = col("__type")
        columns = [col("__lead"), kind, exp.alias_(self.converted(col("__at_text"), ir.TIME), ident("__at"))]
        if position:
            columns.insert(0, col("__epos"))
        for (name, type_), j in self.b.names.attributes.items():
            whens = []
            for event in self.model.events:
                attribute = event.attribute(name)
                if attribute is None or attribute.type != type_:
                    continue
                r = self.attribute_text(attribute)
                whens.append((exp.EQ(this=kind.copy(), expression=lit(event.name)), self.converted(r, type_)))
            value = case(*whens)
            columns.append(exp.alias_(exp.Lower(this=value) if type_ == ir.TEXT else value, ident(f"a{j}")))
            if type_ == ir.TEXT:
                columns.append(exp.alias_(value.copy(), ident(f"t{j}")))
        return exp.select(*columns).from_(self.event_texts(source, position))


#: Time text every engine reads exactly as Python's `datetime.fromisoformat` does (checked by tests).
#: Year 0000 is left out: Python has no year 0, DuckDB reads it as 1 BC.
YEAR = r"([0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
STRICT_TIME = (YEAR + r"-[0-9]{2}-[0-9]{2}([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
               r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?")
NON_ASCII = r"[^\x00-\x7F]"


def needs_python(stager, at_text: exp.Expression) -> exp.Expression:
    """Rows the SQL reading might read differently from the Python readers (docs/sql.md, "Engines").

    A time in a form outside `STRICT_TIME` (Python and the engines accept
    different exotic forms), and a text or bool attribute with a non-ASCII
    character (LOWER is not Python's casefold). The engine hands these rows
    to the Python readers, so `--engine` never changes a result.
    """
    d, m = stager.d, stager.model
    tests = [and_(exp.Not(this=exp.Is(this=at_text, expression=exp.null())),
                  exp.Not(this=exp.Paren(this=d.full_match(at_text.copy(), STRICT_TIME))))]
    kind = col("__type")
    for event in m.events:
        for attribute in event.attributes:
            odd = _odd_value(d, stager.attribute_text(attribute), attribute.type)
            if odd is None:
                continue
            tests.append(and_(exp.EQ(this=kind.copy(), expression=lit(event.name)), odd))
    return case((_any_of(tests), exp.true()), default=exp.false())


def _any_of(tests: list) -> exp.Expression:
    """`a OR b OR …`, each test parenthesized."""
    out = tests[0]
    for t in tests[1:]:
        out = exp.Or(this=exp.Paren(this=out), expression=exp.Paren(this=t))
    return out


def _odd_value(d, r: exp.Expression, type_: str) -> exp.Expression | None:
    """Is stripped text `r` one the engine might read differently from Python (see `needs_python`)?"""
    if type_ in (ir.TEXT, ir.BOOL):
        return d.regex_search(r, NON_ASCII)
    if type_ in (ir.TIME, ir.DATE):
        return exp.Not(this=exp.Paren(this=d.full_match(r, STRICT_TIME)))
    return None


def checked_leads(builder, source: str) -> exp.Select:
    """Every raw lead row (`__epos`: its position among the rows read) with its fate and, where SQL
    reads it exactly, its converted values (the columns of the prepared leads).

    `__status` is `ok`; `duplicate`, with `__first` the position of the
    row that has the id; or `python`: no id, a value that does not convert
    (the Python runtime warns, and `--strict` rejects), or one SQL might read
    differently (as `needs_python`). Python reads the `python` rows, so the
    reasons and warnings are its own.
    """
    stager = Stager(builder)
    d, m = stager.d, stager.model
    texts = [col("__epos"), exp.alias_(stager.stripped(stager.raw(builder.id_column)), ident("__id"))]
    for i, f in enumerate(m.fields):
        texts.append(exp.alias_(stager.stripped(stager.raw(f.column)), ident(f"r{i}")))
    columns, python = [col("__epos"), col("__id")], []
    for i, f in enumerate(m.fields):
        typed, bad = stager.field_columns(i, f)
        columns += typed
        python.append(bad)
        odd = _odd_value(d, col(f"r{i}"), f.type)
        if odd is not None:
            python.append(and_(exp.Not(this=exp.Is(this=col(f"r{i}"), expression=exp.null())), odd))
    first = exp.Window(this=exp.Min(this=col("__epos")), partition_by=[col("__id")])
    columns.append(exp.alias_(first, ident("__first")))
    python_test = _any_of(python) if python else exp.false()
    columns.append(exp.alias_(case((python_test, exp.true()), default=exp.false()), ident("__python")))
    status = case((exp.Is(this=col("__id"), expression=exp.null()), lit("python")),
                  (exp.LT(this=col("__first"), expression=col("__epos")), lit("duplicate")),
                  (col("__python"), lit("python")), default=lit("ok"))
    read = exp.select(*texts).from_(source_table(source))
    typed = exp.select(*columns).from_(exp.alias_(read.subquery(), ident("x"), table=True))
    return exp.select(exp.Star(), exp.alias_(status, ident("__status"))).from_(
        exp.alias_(typed.subquery(), ident("t"), table=True))


def checked_events(builder, source: str, exact: bool = False, strict: bool = False) -> exp.Select:
    """Every raw event row with its fate (`__status`) and, where it is used, its converted values.

    `__status` is `used`, `undeclared`, `after_now`, or the rejects-file reason of a
    rejected row, decided in the order runtime/batch.py decides it: lead id,
    type, time, then whether the lead was scored (tables `scored_ids` and
    `rejected_ids`, one `__id` column each), then the reasons to ignore.
    `eb{j}` holds the raw text of an attribute that did not convert. With
    `exact`, rows `needs_python` picks get the status `python` instead. With `strict`, a row
    of a declared type, not after now, with an attribute that does not convert is `strict`
    (rejected, the reason worded by the caller) before its lead is looked at, as the Python batch
    decides it while it reads the events.
    """
    stager = Stager(builder)
    m = stager.model
    staged = stager.staged_events(source, position=True)
    staged = staged.select(col("__at_text"), copy=False)
    if exact:
        staged = staged.select(exp.alias_(needs_python(stager, col("__at_text")), ident("__python")), copy=False)
    columns = stager.event_columns()
    for (name, type_), j in builder.names.attributes.items():
        whens = []
        for event in m.events:
            attribute = event.attribute(name)
            if attribute is None or attribute.type != type_:
                continue
            r = stager.attribute_text(attribute)
            bad = and_(exp.Not(this=exp.Is(this=r, expression=exp.null())),
                       exp.Is(this=exp.Paren(this=stager.converted(r.copy(), type_)), expression=exp.null()))
            whens.append((and_(exp.EQ(this=col("__type"), expression=lit(event.name)), bad),
                          col(f"raw{columns.index(attribute.column)}")))
        staged = staged.select(exp.alias_(case(*whens), ident(f"eb{j}")), copy=False)

    def missing(column):
        return exp.Is(this=col(column), expression=exp.null())

    def in_table(name):
        # EXISTS, not IN: Spark plans `NOT IN (subquery)` as a nested-loop join (NULL-aware)
        match = exp.EQ(this=col("__id", "k"), expression=col("__lead", "s"))
        return exp.Exists(this=exp.select(exp.Literal.number(1)).from_(
            exp.alias_(table(name), ident("k"), table=True)).where(match))

    lead_reason = exp.DPipe(this=exp.DPipe(this=lit("event: its lead `"), expression=col("__lead"), safe=True),
                            expression=lit("` was rejected"), safe=True)
    no_lead = exp.DPipe(this=exp.DPipe(this=lit("event: no lead with id `"), expression=col("__lead"), safe=True),
                        expression=lit("`"), safe=True)
    bad_time = exp.DPipe(this=exp.DPipe(this=lit("event: cannot read event time `at` '"),
                                        expression=col("__at_text"), safe=True),
                         expression=lit("' as an ISO-8601 time"), safe=True)
    declared = [lit(e.name) for e in m.events] or [lit("")]
    unconverted = [exp.Not(this=exp.Is(this=col(f"eb{j}"), expression=exp.null()))
                   for j in builder.names.attributes.values()]
    strict_test = (and_(exp.LTE(this=col("__at"), expression=builder.now.copy()), _any_of(unconverted))
                   if strict and unconverted else None)
    status = case(
        (missing("__lead"), lit(f"event: missing lead id (column `{builder.lead_column}`)")),
        *([(col("__python"), lit("python"))] if exact else []),
        (missing("__type"), lit("event: missing event `type`")),
        (missing("__at_text"), lit("event: missing event time `at`")),
        (missing("__at"), bad_time),
        *([(strict_test, lit("strict"))] if strict_test is not None else []),
        (in_table("rejected_ids"), lead_reason),
        (exp.Not(this=in_table("scored_ids")), no_lead),
        (exp.Not(this=exp.In(this=col("__type"), expressions=declared)), lit("undeclared")),
        (exp.GT(this=col("__at"), expression=builder.now), lit("after_now")),
        default=lit("used"))
    # what decided the status is not kept: a stored copy of every time's text would cost more than
    # the rest of the row
    kept = [col(name) for name in staged.named_selects if name not in ("__at_text", "__python")]
    return exp.select(*kept, exp.alias_(status, ident("__status"))).from_(
        exp.alias_(staged.subquery(), ident("s"), table=True))
