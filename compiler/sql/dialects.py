"""What differs between SQL engines: one `Dialect` subclass per engine (docs/sql.md, "Dialects").

The query builder (query.py) writes the language's operations through a
`Dialect`; sqlglot only prints the tree. sqlglot's own nodes for regex,
date differences, epoch conversion and GREATEST are not used where they
change meaning between engines (../shared/research/sql-engines.md §3.2):
`Dialect` renders what engines share, and each engine's subclass overrides
what it writes differently, chosen so that the result is the same as the
Python runtime's. Subclasses register themselves by `name` (sqlglot's
dialect name, which prints the tree); `dialect(name)` returns one.

`regex_refused` is the other half: the regex constructs an engine's library
reads differently from RE2. A model using one is refused for that dialect
(`SqlUnsupported`), never scored differently.
"""

from __future__ import annotations

import sys

from sqlglot import exp

from . import isotime, pgnumber
from .build import balanced, call, case, data_type, lit, num

#: Python's str.strip() removes exactly these (the characters with str.isspace()).
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())

#: name → Dialect subclass, in the order the subclasses are defined below.
REGISTRY: dict[str, type] = {}


class SqlUnsupported(ValueError):
    """A model, or a part of one, that a dialect cannot score as the language says."""


class Dialect:
    """The renderings every engine shares; a subclass per engine overrides what differs."""

    #: sqlglot's name for the engine; also the name `dialect()` and `--dialect` take.
    name = ""
    #: the most columns one SELECT may have on the engine (None: no limit we know of); a model
    #: whose query needs more is refused (`QueryBuilder.output`), never printed to fail there
    max_columns: int | None = None
    #: regex construct (as `_constructs` names it) → why this engine would read it differently from RE2
    regex_refused: dict = {}
    #: the type `parse_time` casts ISO text to, an instant. sqlglot prints TIMESTAMPTZ as
    #: BigQuery's TIMESTAMP (an instant); its TIMESTAMP would be DATETIME.
    time_type = "TIMESTAMPTZ"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        REGISTRY[cls.name] = cls

    def __init__(self, pow_function: str | None = None, regex_function: str | None = None):
        #: A function the engine provides that computes `x ** y` as Python does (`SparkEngine`
        #: registers one: Spark's POWER is Java's and can differ in the last bit); None: POWER.
        self.pow_function = pow_function
        #: A function the engine provides for `matches` as the Python runtime runs it, RE2 in linear
        #: time: `fn(text, pattern)` (`SparkEngine` registers one: Java's regex backtracks); None:
        #: the engine's own regex search, and its `regex_refused`.
        self.regex_function = regex_function

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(pow_function={self.pow_function!r}, "
                f"regex_function={self.regex_function!r})")

    # ---- types -----------------------------------------------------------------------

    def double(self) -> exp.DataType:
        return data_type("DOUBLE")

    def bigint(self) -> exp.DataType:
        return data_type("BIGINT")

    def text_type(self) -> exp.DataType:
        return data_type("VARCHAR")

    def power(self, base: exp.Expression, exponent: exp.Expression) -> exp.Expression:
        if self.pow_function:
            return call(self.pow_function, base, exponent)
        return exp.Pow(this=base, expression=exponent)

    def float_text(self, e: exp.Expression) -> exp.Expression | None:
        """A DOUBLE as the text Python's `repr` gives it, where the engine writes doubles so; else None."""
        return None

    def text_with_nul(self, text: str) -> exp.Expression:
        """A text literal holding U+0000, never a raw NUL in the query. sqlglot writes it as `\\x00`,
        the hex escape Snowflake's and BigQuery's literals document; an engine that reads it otherwise
        overrides this, or refuses the model (`SqlUnsupported`)."""
        return lit(text)

    # ---- text ------------------------------------------------------------------------

    def strip(self, text: exp.Expression) -> exp.Expression:
        """Python's `str.strip()`: every Unicode whitespace character, both ends.

        TRIM with all 29 characters is several times slower than TRIM of
        spaces, so cheaper tests come first: text that begins and ends with a
        printable ASCII character (no whitespace) is its own answer; else,
        when what TRIM of spaces leaves is empty or so, that is the answer.
        """
        def printable_ends(e):
            tests = [exp.Between(this=side(this=e.copy(), expression=exp.Literal.number(1)),
                                 low=lit("!"), high=lit("~")) for side in (exp.Left, exp.Right)]
            return exp.Paren(this=exp.And(this=tests[0], expression=tests[1]))
        spaces = exp.Trim(this=text.copy(), position="BOTH")
        clean = exp.Or(this=exp.EQ(this=spaces.copy(), expression=lit("")), expression=printable_ends(spaces))
        full = exp.Trim(this=text.copy(), expression=lit(WHITESPACE), position="BOTH")
        return exp.Case(ifs=[exp.If(this=printable_ends(text), true=text.copy()),
                             exp.If(this=clean, true=spaces)], default=full)

    def regex_search(self, text: exp.Expression, pattern: str) -> exp.Expression:
        """Does `pattern` (RE2 syntax) match somewhere in `text`, ignoring case?"""
        raise NotImplementedError(f"{type(self).__name__} has no regex search")

    def full_match(self, text: exp.Expression, pattern: str) -> exp.Expression:
        """Does all of `text` match `pattern` (ASCII, portable)? Used to check input values."""
        return exp.RegexpLike(this=text, expression=lit(self.anchored(pattern)))

    @staticmethod
    def anchored(pattern: str) -> str:
        """`pattern` matching the whole text, for an engine whose regex searches."""
        return "^(?:" + pattern + ")$"

    def regex_gaps(self, pattern: str) -> list[str]:
        """What in an RE2 `pattern` this engine's regex library would read differently (nothing when
        `regex_function` runs RE2 itself)."""
        if self.regex_function:
            return []
        gaps: list[str] = []
        for construct in _constructs(pattern):
            why = self.regex_refused.get(construct)
            if why is not None and why not in gaps:
                gaps.append(why)
        return gaps

    def try_cast(self, value: exp.Expression, to: exp.DataType) -> exp.Expression:
        """CAST that gives NULL instead of failing."""
        return exp.TryCast(this=value, to=to, safe=True, requires_string=True)

    # ---- time --------------------------------------------------------------------------

    def epoch_us(self, moment: exp.Expression) -> exp.Expression:
        """Microseconds since 1970-01-01 UTC of a TIMESTAMP WITH TIME ZONE, as BIGINT."""
        return call("UNIX_MICROS", moment)

    def parse_time(self, text: exp.Expression) -> exp.Expression:
        """ISO-8601 text (already checked by shape) → TIMESTAMP WITH TIME ZONE; UTC without offset.

        The session time zone must be UTC (the engines set it; docs/sql.md says so for warehouses).
        """
        return self.try_cast(text, data_type(self.time_type))

    def time_us(self, text: exp.Expression) -> exp.Expression:
        """µs since 1970-01-01 UTC of ISO text (already checked by shape), NULL where Python's
        `fromisoformat` refuses it (`2026-02-30`)."""
        return self.epoch_us(self.parse_time(text))

    def current_time(self) -> exp.Expression:
        return exp.CurrentTimestamp()

    def now_us(self, now: int | None) -> exp.Expression:
        """The evaluation time: a literal when given, else the engine's clock at run time."""
        if now is not None:
            return exp.Cast(this=exp.Literal.number(now), to=self.bigint())
        return self.epoch_us(self.current_time())

    # ---- numbers -----------------------------------------------------------------------

    def to_double(self, text: exp.Expression) -> exp.Expression:
        """Text already checked to be a decimal number → DOUBLE; NULL beyond a double
        (`1e400` casts to inf), which is not a number (`runtime.values.text_number`)."""
        value = self.try_cast(text, self.double())
        return case((exp.LTE(this=exp.Abs(this=value), expression=num(sys.float_info.max)), value.copy()))

    def ordered_sum(self, value: exp.Expression, order: exp.Expression, where: exp.Expression | None,
                    zero: exp.Expression) -> exp.Expression:
        """Σ value over the rows where `where` holds, added left to right by `order`, from `zero`.

        The Python runtime adds in that order (LANGUAGE.md §10); DuckDB and
        Spark can too (their subclasses), which makes their floats the same
        bit for bit. Other dialects take SUM, whose order is the engine's
        (equal to 1e-9).
        """
        summed = exp.Sum(this=value if where is None else exp.Case().when(where, value, copy=False)
                         .else_(zero, copy=False))
        return exp.Coalesce(this=summed, expressions=[zero.copy()])

    def int_div(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        """Floor division of non-negative BIGINTs, exact."""
        return exp.IntDiv(this=exp.Paren(this=a), expression=exp.Paren(this=b))


class DuckDB(Dialect):
    name = "duckdb"
    # DuckDB's regex library is RE2: nothing refused

    def float_text(self, e: exp.Expression) -> exp.Expression | None:
        """DuckDB writes a DOUBLE in its shortest round-trip form, as `repr` does
        (checked on the engine, runtime/sqlengine.py)."""
        return exp.Cast(this=e, to=self.text_type())

    def regex_search(self, text: exp.Expression, pattern: str) -> exp.Expression:
        return call("regexp_matches", text, lit(pattern), lit("i"))

    def text_with_nul(self, text: str) -> exp.Expression:
        return joined_with_chr0(text)         # DuckDB's literals have no escapes: sqlglot writes a raw NUL

    def full_match(self, text: exp.Expression, pattern: str) -> exp.Expression:
        return call("regexp_full_match", text, lit(pattern))

    def epoch_us(self, moment: exp.Expression) -> exp.Expression:
        return call("epoch_us", moment)

    def ordered_sum(self, value, order, where, zero) -> exp.Expression:
        # an ordered aggregate feeds SUM's state one value at a time, in `order`
        summed = exp.Sum(this=exp.Order(this=value, expressions=[exp.Ordered(this=order)]))
        if where is not None:
            summed = exp.Filter(this=summed, expression=exp.Where(this=where))
        return exp.Coalesce(this=summed, expressions=[zero])


class Spark(Dialect):
    name = "spark"
    time_type = "TIMESTAMP"         # Spark's TIMESTAMP is an instant in the session time zone
    regex_refused = {
        "named group": "Java regex has no `(?P<name>...)`",
        "posix class": "Java regex has no `[[:alpha:]]` classes",
        "nested class": "Java regex reads `[` inside a class as a nested class",
        "class intersection": "Java regex reads `&&` inside a class as an intersection",
        "ungreedy flag": "`(?U)` means Unicode classes in Java, ungreedy in RE2",
        "\\C": "Java regex has no `\\C`",
    }

    def text_type(self) -> exp.DataType:
        return data_type("STRING")

    def text_with_nul(self, text: str) -> exp.Expression:
        return joined_with_chr0(text)         # sqlglot's `\0` before two octal digits is an octal escape

    def regex_search(self, text: exp.Expression, pattern: str) -> exp.Expression:
        if self.regex_function:
            return call(self.regex_function, text, lit(pattern))
        # Java's (?i) folds ASCII only unless UNICODE_CASE (u) is on too; RE2's (?i) is Unicode.
        # Java's regex backtracks: the printed query can be slow on some patterns (docs/sql.md).
        return exp.RegexpLike(this=text, expression=lit("(?iu)" + pattern))

    def ordered_sum(self, value, order, where, zero) -> exp.Expression:
        # the (order, value) pairs collected, sorted and folded left to right
        a, b = exp.to_identifier("a"), exp.to_identifier("b")
        pair = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("k"), expression=order),
                                       exp.PropertyEQ(this=exp.to_identifier("v"), expression=value)])
        listed = exp.ArrayAgg(this=pair, nulls_excluded=True)
        if where is not None:
            listed = exp.Filter(this=listed, expression=exp.Where(this=where))
        merge = exp.Lambda(this=exp.Add(this=a, expression=exp.Dot(this=b.copy(), expression=exp.to_identifier("v"))),
                           expressions=[a.copy(), b.copy()])
        folded = exp.Reduce(this=exp.ArraySort(this=listed), initial=zero, merge=merge)
        return exp.Coalesce(this=folded, expressions=[zero.copy()])


class Snowflake(Dialect):
    name = "snowflake"
    regex_refused = {
        "named group": "Snowflake regex has no `(?P<name>...)`",
        "non-capturing group": "Snowflake regex has no `(?:...)`",
        "inline flag": "Snowflake regex has no inline flags",
        "ungreedy flag": "Snowflake regex has no `(?U)`",
        "lazy quantifier": "Snowflake regex has no lazy quantifiers",
        "\\b": "Snowflake regex has no `\\b`", "\\B": "Snowflake regex has no `\\B`",
        "\\z": "Snowflake regex has no `\\z`", "\\A": "Snowflake regex has no `\\A`",
        "\\p": "Snowflake regex has no `\\p{...}` classes",
        "\\C": "Snowflake regex has no `\\C`",
    }

    def regex_search(self, text: exp.Expression, pattern: str) -> exp.Expression:
        # REGEXP_LIKE / RLIKE are anchored in Snowflake; REGEXP_INSTR searches.
        return exp.GT(this=call("REGEXP_INSTR", text, lit(pattern), exp.Literal.number(1),
                                exp.Literal.number(1), exp.Literal.number(0), lit("i")),
                      expression=exp.Literal.number(0))

    def full_match(self, text: exp.Expression, pattern: str) -> exp.Expression:
        return call("REGEXP_LIKE", text, lit(pattern))                     # anchored

    def epoch_us(self, moment: exp.Expression) -> exp.Expression:
        return call("DATE_PART", exp.var("EPOCH_MICROSECOND"), moment)

    def int_div(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        """Snowflake's division keeps 6 decimals, so `a / b` near a whole number
        could round up; `(a - a mod b) / b` divides exactly."""
        a, b = exp.Paren(this=a), exp.Paren(this=b)
        whole = exp.Sub(this=a, expression=exp.Mod(this=a.copy(), expression=b))
        return exp.Cast(this=exp.Div(this=exp.Paren(this=whole), expression=b.copy()), to=self.bigint())


class BigQuery(Dialect):
    name = "bigquery"
    max_columns = 10_000            # "columns in a table, query result, or view definition"
    # BigQuery's regex library is RE2: nothing refused

    def text_type(self) -> exp.DataType:
        return data_type("STRING")

    def regex_search(self, text: exp.Expression, pattern: str) -> exp.Expression:
        return call("REGEXP_CONTAINS", text, lit("(?i)" + pattern))

    def full_match(self, text: exp.Expression, pattern: str) -> exp.Expression:
        return call("REGEXP_CONTAINS", text, lit(self.anchored(pattern)))


class Postgres(Dialect):
    name = "postgres"
    max_columns = 1664              # "target lists can have at most 1664 entries"
    regex_refused = {
        "named group": "Postgres regex has no `(?P<name>...)`",
        "\\b": "`\\b` is a backspace in Postgres regex, a word boundary in RE2",
        "\\B": "`\\B` is a backslash in Postgres regex",
        "\\z": "Postgres regex has no `\\z`",
        "\\C": "Postgres regex has no `\\C`",
        "\\p": "Postgres regex has no `\\p{...}` classes",
        "inline flag": "Postgres reads inline flags only at the start of a pattern",
        "ungreedy flag": "Postgres regex has no `(?U)`",
    }
    # PostgreSQL orders any aggregate's input (`SUM(x ORDER BY t)`) and adds float8 one value at a time
    ordered_sum = DuckDB.ordered_sum

    def double(self) -> exp.DataType:
        return data_type("DOUBLE PRECISION")

    def text_with_nul(self, text: str) -> exp.Expression:
        raise SqlUnsupported("a text with the character U+0000 cannot be run on postgres: "
                             "PostgreSQL text cannot hold U+0000")

    def regex_search(self, text: exp.Expression, pattern: str) -> exp.Expression:
        return exp.RegexpILike(this=text, expression=lit(pattern))          # ~*

    @staticmethod
    def anchored(pattern: str) -> str:
        return "^(" + pattern + ")$"

    def try_cast(self, value: exp.Expression, to: exp.DataType) -> exp.Expression:
        """A plain CAST: Postgres has no TRY_CAST (callers check the text first)."""
        return exp.Cast(this=value, to=to)

    def to_double(self, text: exp.Expression) -> exp.Expression:
        """Without TRY_CAST a CAST of `1e999` or `1e-400` stops the query: the text's exponent is
        looked at first, and the boundaries compared as NUMERIC (pgnumber.py)."""
        return pgnumber.to_double(text)

    def time_us(self, text: exp.Expression) -> exp.Expression:
        """Without TRY_CAST a CAST of `2026-02-30` stops the query: the text's parts are checked and
        added up instead, as Python reads them (isotime.py)."""
        return isotime.time_us(text)

    def epoch_us(self, moment: exp.Expression) -> exp.Expression:
        return exp.Cast(this=exp.Mul(this=exp.paren(exp.Extract(this=exp.var("EPOCH"), expression=moment)),
                                     expression=exp.Literal.number(1_000_000)),
                        to=self.bigint())


DIALECTS = tuple(REGISTRY)


def joined_with_chr0(text: str) -> exp.Expression:
    """`('a' || CHR(0) || 'b')`: a text holding U+0000 written without a NUL or an escape."""
    pieces = []
    for n, piece in enumerate(text.split("\x00")):
        if n:
            pieces.append(call("CHR", exp.Literal.number(0)))
        if piece:
            pieces.append(lit(piece))
    return exp.Paren(this=balanced(pieces, lambda a, b: exp.DPipe(this=a, expression=b, safe=True)))


def dialect(name: str, pow_function: str | None = None, regex_function: str | None = None) -> Dialect:
    """The dialect called `name`; `SqlUnsupported` for a name no subclass has."""
    if name not in REGISTRY:
        raise SqlUnsupported(f"unknown SQL dialect `{name}`; choose one of: {', '.join(DIALECTS)}")
    return REGISTRY[name](pow_function, regex_function)


# ---- regex portability ------------------------------------------------------------------

def regex_gaps(pattern: str, dialect_name: str) -> list[str]:
    """What in an RE2 `pattern` this dialect's regex engine would read differently."""
    return REGISTRY[dialect_name]().regex_gaps(pattern)


def _constructs(pattern: str) -> list[str]:
    """The regex constructs in a pattern that engines disagree on (a small scanner, not a parser)."""
    found = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "bBzACpP":
                found.append("\\p" if nxt in "pP" else "\\" + nxt)
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):
                found.append("posix class")
            elif c == "[":
                found.append("nested class")
            elif pattern.startswith("&&", i):
                found.append("class intersection")
            elif c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if pattern.startswith("[^]", i) or pattern.startswith("[]", i):
                i += 2 if pattern[i + 1] == "]" else 3
                continue
        elif c == "(" and pattern.startswith("(?", i):
            rest = pattern[i + 2:]
            if rest.startswith("P<") or rest.startswith("<"):
                found.append("named group")
            elif rest.startswith(":"):
                found.append("non-capturing group")
            else:
                flags = rest.split(")", 1)[0].split(":", 1)[0]
                found.append("ungreedy flag" if "U" in flags else "inline flag")
        elif c in "*+?}" and i + 1 < len(pattern) and pattern[i + 1] == "?":
            found.append("lazy quantifier")
        i += 1
    return found
