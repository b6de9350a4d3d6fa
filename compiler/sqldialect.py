"""What differs between SQL engines, in one place (docs/sql.md, "Dialects").

The query builder (compiler/sql.py) writes the language's operations through
a `Dialect`; sqlglot only prints the tree. sqlglot's own nodes for regex,
date differences, epoch conversion and GREATEST are not used where they
change meaning between engines (../shared/research/sql-engines.md §3.2):
each such operation has one rendering here per engine, chosen so that the
result is the same as the Python runtime's.

`regex_gaps` is the other half: the patterns an engine's regex library
would read differently from RE2. A model using one is refused for that
dialect (`SqlUnsupported`), never scored differently.
"""

from __future__ import annotations

import attrs
from sqlglot import exp

DIALECTS = ("duckdb", "spark", "snowflake", "bigquery", "postgres")

#: Python's str.strip() removes exactly these (the characters with str.isspace()).
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


class SqlUnsupported(ValueError):
    """A model, or a part of one, that a dialect cannot score as the language says."""


def lit(value: str) -> exp.Expression:
    return exp.Literal.string(value)


def call(name: str, *args) -> exp.Expression:
    """A function call whose name sqlglot must print as written (no dialect translation)."""
    return exp.Anonymous(this=name, expressions=list(args))


@attrs.frozen
class Dialect:
    name: str
    #: A function the engine provides that computes `x ** y` as Python does (`SparkEngine`
    #: registers one: Spark's POWER is Java's and can differ in the last bit); None: POWER.
    pow_function: str | None = None

    # ---- types -----------------------------------------------------------------------

    def double(self) -> exp.DataType:
        return exp.DataType.build("DOUBLE" if self.name != "postgres" else "DOUBLE PRECISION")

    def bigint(self) -> exp.DataType:
        return exp.DataType.build("BIGINT")

    def text_type(self) -> exp.DataType:
        return exp.DataType.build("VARCHAR" if self.name not in ("spark", "bigquery") else "STRING")

    def power(self, base: exp.Expression, exponent: exp.Expression) -> exp.Expression:
        if self.pow_function:
            return call(self.pow_function, base, exponent)
        return exp.Pow(this=base, expression=exponent)

    def float_text(self, e: exp.Expression) -> exp.Expression | None:
        """A DOUBLE as the text Python's `repr` gives it, where the engine writes doubles so
        (DuckDB: shortest round-trip form; checked on the engine, runtime/sqlengine.py); else None."""
        if self.name != "duckdb":
            return None
        return exp.Cast(this=e, to=self.text_type())

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
        if self.name == "duckdb":
            return call("regexp_matches", text, lit(pattern), lit("i"))
        if self.name == "bigquery":
            return call("REGEXP_CONTAINS", text, lit("(?i)" + pattern))
        if self.name == "spark":
            # Java's (?i) folds ASCII only unless UNICODE_CASE (u) is on too; RE2's (?i) is Unicode.
            return exp.RegexpLike(this=text, expression=lit("(?iu)" + pattern))
        if self.name == "snowflake":
            # REGEXP_LIKE / RLIKE are anchored in Snowflake; REGEXP_INSTR searches.
            return exp.GT(this=call("REGEXP_INSTR", text, lit(pattern), exp.Literal.number(1),
                                    exp.Literal.number(1), exp.Literal.number(0), lit("i")),
                          expression=exp.Literal.number(0))
        return exp.RegexpILike(this=text, expression=lit(pattern))          # postgres: ~*

    def full_match(self, text: exp.Expression, pattern: str) -> exp.Expression:
        """Does all of `text` match `pattern` (ASCII, portable)? Used to check input values."""
        if self.name == "duckdb":
            return call("regexp_full_match", text, lit(pattern))
        if self.name == "snowflake":
            return call("REGEXP_LIKE", text, lit(pattern))                   # anchored
        anchored = lit("^(?:" + pattern + ")$" if self.name != "postgres" else "^(" + pattern + ")$")
        if self.name == "bigquery":
            return call("REGEXP_CONTAINS", text, anchored)
        return exp.RegexpLike(this=text, expression=anchored)                # spark RLIKE, postgres ~

    def try_cast(self, value: exp.Expression, to: exp.DataType) -> exp.Expression:
        """CAST that gives NULL instead of failing (Postgres: a plain CAST; callers check first)."""
        if self.name == "postgres":
            return exp.Cast(this=value, to=to)
        return exp.TryCast(this=value, to=to, safe=True, requires_string=True)

    # ---- time --------------------------------------------------------------------------

    def epoch_us(self, moment: exp.Expression) -> exp.Expression:
        """Microseconds since 1970-01-01 UTC of a TIMESTAMP WITH TIME ZONE, as BIGINT."""
        if self.name == "duckdb":
            return call("epoch_us", moment)
        if self.name in ("spark", "bigquery"):
            return call("UNIX_MICROS", moment)
        if self.name == "snowflake":
            return call("DATE_PART", exp.var("EPOCH_MICROSECOND"), moment)
        return exp.Cast(this=exp.Mul(this=exp.paren(exp.Extract(this=exp.var("EPOCH"), expression=moment)),
                                     expression=exp.Literal.number(1_000_000)),
                        to=self.bigint())

    def parse_time(self, text: exp.Expression) -> exp.Expression:
        """ISO-8601 text (already checked by shape) → TIMESTAMP WITH TIME ZONE; UTC without offset.

        The session time zone must be UTC (the engines set it; docs/sql.md says so for warehouses).
        """
        # sqlglot prints TIMESTAMPTZ as BigQuery's TIMESTAMP (an instant); its TIMESTAMP would be DATETIME
        kind = "TIMESTAMP" if self.name == "spark" else "TIMESTAMPTZ"
        return self.try_cast(text, exp.DataType.build(kind))

    def current_time(self) -> exp.Expression:
        return exp.CurrentTimestamp()

    def now_us(self, now: int | None) -> exp.Expression:
        """The evaluation time: a literal when given, else the engine's clock at run time."""
        if now is not None:
            return exp.Cast(this=exp.Literal.number(now), to=self.bigint())
        return self.epoch_us(self.current_time())

    # ---- numbers -----------------------------------------------------------------------

    def to_double(self, text: exp.Expression) -> exp.Expression:
        """Text already checked to be a decimal number → DOUBLE."""
        return self.try_cast(text, self.double())

    def ordered_sum(self, value: exp.Expression, order: exp.Expression, where: exp.Expression | None,
                    zero: exp.Expression) -> exp.Expression:
        """Σ value over the rows where `where` holds, added left to right by `order`, from `zero`.

        The Python runtime adds in that order (LANGUAGE.md §10); DuckDB and
        Spark can too, which makes their floats the same bit for bit. Other
        dialects take SUM, whose order is the engine's (equal to 1e-9).
        """
        a, b = exp.to_identifier("a"), exp.to_identifier("b")
        if self.name == "duckdb":
            # an ordered aggregate feeds SUM's state one value at a time, in `order`
            summed = exp.Sum(this=exp.Order(this=value, expressions=[exp.Ordered(this=order)]))
            if where is not None:
                summed = exp.Filter(this=summed, expression=exp.Where(this=where))
            return exp.Coalesce(this=summed, expressions=[zero])
        if self.name == "spark":
            pair = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("k"), expression=order),
                                           exp.PropertyEQ(this=exp.to_identifier("v"), expression=value)])
            listed = exp.ArrayAgg(this=pair, nulls_excluded=True)
            if where is not None:
                listed = exp.Filter(this=listed, expression=exp.Where(this=where))
            merge = exp.Lambda(this=exp.Add(this=a, expression=exp.Dot(this=b.copy(), expression=exp.to_identifier("v"))),
                               expressions=[a.copy(), b.copy()])
            folded = exp.Reduce(this=exp.ArraySort(this=listed), initial=zero, merge=merge)
            return exp.Coalesce(this=folded, expressions=[zero.copy()])
        summed = exp.Sum(this=value if where is None else exp.Case().when(where, value, copy=False)
                         .else_(zero, copy=False))
        return exp.Coalesce(this=summed, expressions=[zero.copy()])

    def int_div(self, a: exp.Expression, b: exp.Expression) -> exp.Expression:
        """Floor division of non-negative BIGINTs, exact.

        Snowflake's division keeps 6 decimals, so `a / b` near a whole number
        could round up; `(a - a mod b) / b` divides exactly.
        """
        a, b = exp.Paren(this=a), exp.Paren(this=b)
        if self.name == "snowflake":
            whole = exp.Sub(this=a, expression=exp.Mod(this=a.copy(), expression=b))
            return exp.Cast(this=exp.Div(this=exp.Paren(this=whole), expression=b.copy()), to=self.bigint())
        return exp.IntDiv(this=a, expression=b)


def dialect(name: str, pow_function: str | None = None) -> Dialect:
    if name not in DIALECTS:
        raise SqlUnsupported(f"unknown SQL dialect `{name}`; choose one of: {', '.join(DIALECTS)}")
    return Dialect(name, pow_function)


# ---- regex portability ------------------------------------------------------------------

def regex_gaps(pattern: str, dialect_name: str) -> list[str]:
    """What in an RE2 `pattern` this dialect's regex engine would read differently."""
    if dialect_name in ("duckdb", "bigquery"):
        return []                       # both use RE2
    gaps = []
    found = _constructs(pattern)
    refuse = {
        "spark": {"named group": "Java regex has no `(?P<name>...)`",
                  "posix class": "Java regex has no `[[:alpha:]]` classes",
                  "nested class": "Java regex reads `[` inside a class as a nested class",
                  "class intersection": "Java regex reads `&&` inside a class as an intersection",
                  "ungreedy flag": "`(?U)` means Unicode classes in Java, ungreedy in RE2",
                  "\\C": "Java regex has no `\\C`"},
        "postgres": {"named group": "Postgres regex has no `(?P<name>...)`",
                     "\\b": "`\\b` is a backspace in Postgres regex, a word boundary in RE2",
                     "\\B": "`\\B` is a backslash in Postgres regex",
                     "\\z": "Postgres regex has no `\\z`",
                     "\\C": "Postgres regex has no `\\C`",
                     "\\p": "Postgres regex has no `\\p{...}` classes",
                     "inline flag": "Postgres reads inline flags only at the start of a pattern",
                     "ungreedy flag": "Postgres regex has no `(?U)`"},
        "snowflake": {"named group": "Snowflake regex has no `(?P<name>...)`",
                      "non-capturing group": "Snowflake regex has no `(?:...)`",
                      "inline flag": "Snowflake regex has no inline flags",
                      "ungreedy flag": "Snowflake regex has no `(?U)`",
                      "lazy quantifier": "Snowflake regex has no lazy quantifiers",
                      "\\b": "Snowflake regex has no `\\b`", "\\B": "Snowflake regex has no `\\B`",
                      "\\z": "Snowflake regex has no `\\z`", "\\A": "Snowflake regex has no `\\A`",
                      "\\p": "Snowflake regex has no `\\p{...}` classes",
                      "\\C": "Snowflake regex has no `\\C`"},
    }[dialect_name]
    for construct in found:
        if construct in refuse and refuse[construct] not in gaps:
            gaps.append(refuse[construct])
    return gaps


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
