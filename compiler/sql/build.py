"""The small pieces every part of the SQL backend builds with (query, staging, JSON text).

Input patterns (the SQL twin of runtime/values.py's), the bool words, quoted
identifiers, typed literals, and operators that parenthesize their operands
so the printed SQL means what the tree says. Nothing here knows the model or
the engine; `dialects.py` holds what differs between engines.
"""

from __future__ import annotations

import functools

import attrs
from sqlglot import exp

from ...runtime.values import FALSE_WORDS, TRUE_WORDS  # noqa: F401  (the runtime's, read in SQL by stage.py)

NUMBER_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TIME_PATTERN = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?)?"
                r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?")


@functools.lru_cache(maxsize=None)
def _parsed_type(name: str) -> exp.DataType:
    return exp.DataType.build(name)


def data_type(name: str) -> exp.DataType:
    """`exp.DataType.build(name)`, parsed once: a big model writes thousands of typed literals."""
    return _parsed_type(name).copy()


def lit(value: str) -> exp.Expression:
    return exp.Literal.string(value)


def call(name: str, *args) -> exp.Expression:
    """A function call whose name sqlglot must print as written (no dialect translation)."""
    return exp.Anonymous(this=name, expressions=list(args))


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True),
                      table=exp.to_identifier(table, quoted=True) if table else None)


def num(value: float) -> exp.Expression:
    """A number literal typed DOUBLE, so no engine reads it as DECIMAL."""
    return exp.Cast(this=exp.Literal.number(repr(float(value))), to=data_type("DOUBLE"))


def big(value: int) -> exp.Expression:
    return exp.Cast(this=exp.Literal.number(int(value)), to=data_type("BIGINT"))


def paren(e: exp.Expression) -> exp.Expression:
    return e if isinstance(e, (exp.Column, exp.Literal, exp.Paren, exp.Cast, exp.Null, exp.Boolean,
                               exp.Anonymous, exp.Case)) else exp.Paren(this=e)


#: The most terms one expression adds: sqlglot prints a tree, and engines parse and plan an
#: expression, recursively, so no expression may grow deeper with the model (docs/sql.md, "Big models").
CHUNK = 32


def balanced(items: list, combine) -> exp.Expression:
    """The items combined pairwise into a tree of depth log2(n), for an operation whose result does
    not depend on grouping (AND, OR, `||`, the greatest); never for adding doubles (`Layers.sums`)."""
    items = list(items)
    while len(items) > 1:
        items = [combine(*items[i:i + 2]) if i + 1 < len(items) else items[i] for i in range(0, len(items), 2)]
    return items[0]


def and_(*items) -> exp.Expression:
    return balanced([i for i in items if i is not None],
                    lambda a, b: exp.And(this=paren(a), expression=paren(b)))


def or_(*items) -> exp.Expression:
    return balanced(items, lambda a, b: exp.Or(this=paren(a), expression=paren(b)))


def not_(a) -> exp.Expression:
    return exp.Not(this=paren(a))


def add(a, b) -> exp.Expression:
    return exp.Add(this=paren(a), expression=paren(b))


def sub(a, b) -> exp.Expression:
    return exp.Sub(this=paren(a), expression=paren(b))


def mul(a, b) -> exp.Expression:
    return exp.Mul(this=paren(a), expression=paren(b))


def div(a, b) -> exp.Expression:
    return exp.Div(this=paren(a), expression=paren(b), typed=False, safe=False)


def to_double(e) -> exp.Expression:
    return exp.Cast(this=e, to=data_type("DOUBLE"))


def case(*whens, default=None) -> exp.Expression:
    if not whens:
        return default if default is not None else exp.Null()
    node = exp.Case()
    for cond, value in whens:
        node = node.when(cond, value, copy=False)
    if default is not None:
        node = node.else_(default, copy=False)
    return node


def holds(cond) -> exp.Expression:
    """TRUE when the condition is TRUE, FALSE when it is FALSE or unknown."""
    return case((cond, exp.true()), default=exp.false())


def compare(op: str, a, b) -> exp.Expression:
    cls = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[op]
    return cls(this=paren(a), expression=paren(b))


def limit_expr(value, low, high) -> exp.Expression:
    """runtime `limit`: into [low, high]; either bound may be missing."""
    whens = []
    if low is not None:
        whens.append((exp.LT(this=paren(value), expression=num(low)), num(low)))
    if high is not None:
        whens.append((exp.GT(this=paren(value), expression=num(high)), num(high)))
    return case(*whens, default=value) if whens else value


def cap_expr(value, limit) -> exp.Expression:
    """`max N`: at most N in magnitude, sign kept."""
    if limit is None:
        return value
    return case((exp.GT(this=paren(value), expression=num(limit)), num(limit)),
                (exp.LT(this=paren(value), expression=num(-limit)), num(-limit)), default=value)


def greatest(items: list) -> exp.Expression:
    """The largest of nullable values, NULLs ignored (GREATEST's NULL handling differs by engine)."""
    def larger(a, b):
        return case((exp.Is(this=paren(a), expression=exp.null()), b),
                    (exp.Is(this=paren(b), expression=exp.null()), a.copy()),
                    (exp.GTE(this=paren(a.copy()), expression=paren(b.copy())), a.copy()), default=b.copy())
    return balanced(items, larger)


@attrs.frozen
class NameList:
    """The names whose condition holds, in order, as a LIST a DuckDB query computes from a few
    columns (`items(render)`: that LIST, each name as `render` writes it); it stands for the
    (condition, name) pairs of a big model, whose thousands of CASEs DuckDB plans slowly
    (docs/sql.md, "Big models")."""

    items: object


def lambda_(names: list, body) -> exp.Lambda:
    """`LAMBDA a, b : body(a, b)` (DuckDB), the parameters quoted identifiers `names`."""
    params = [exp.to_identifier(n, quoted=True) for n in names]
    return exp.Lambda(this=body(*[exp.column(p.copy()) for p in params]), expressions=params)


def concat_names(pairs) -> exp.Expression:
    """`a;b;c` of the names whose condition holds, in order ('' when none)."""
    if isinstance(pairs, NameList):
        return call("ARRAY_TO_STRING", pairs.items(str), lit(";"))
    if not pairs:
        return lit("")
    parts = [case((cond, lit(name + ";")), default=lit("")) for cond, name in pairs]
    # parenthesized, or the printed `a || b || c …` is one chain as deep as the names (DuckDB refused 3,333)
    joined = balanced(parts, lambda a, b: exp.Paren(this=exp.DPipe(this=a, expression=b, safe=True)))
    return exp.Trim(this=joined, expression=lit(";"), position="TRAILING")


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def table(name: str) -> exp.Table:
    return exp.Table(this=ident(name))


def source_table(name: str) -> exp.Table:
    """A relation the user names, maybe qualified (`crm.leads`, `db.crm.leads`): each part quoted."""
    parts = [ident(p) for p in name.split(".")]
    return exp.Table(this=parts[-1], db=parts[-2] if len(parts) > 1 else None,
                     catalog=parts[-3] if len(parts) > 2 else None)


@attrs.define
class Layers:
    """A chain of CTEs, each `SELECT *, new columns FROM the previous one`."""

    ctes: list = attrs.field(factory=list)
    last: str | None = None

    def add(self, name: str, select: exp.Select) -> None:
        self.ctes.append((name, select))
        self.last = name

    def extend(self, name: str, columns: list) -> None:
        if not columns:
            return
        # no copy: each column is a new expression, made for this layer (a copy costs as much as the model)
        select = exp.select(exp.Star(), *[exp.alias_(e, exp.to_identifier(n, quoted=True), copy=False)
                                          for n, e in columns],
                            copy=False).from_(exp.to_table(exp.to_identifier(self.last, quoted=True)), copy=False)
        self.add(name, select)

    def sums(self, name: str, sums: list, fold=None) -> None:
        """Columns that are sums added left to right from 0.0, the language's order (LANGUAGE.md §9):
        each `(column, terms, finish)` gives `column = finish(((0.0 + t0) + t1) + …)`.

        Doubles are not associative, so a long sum cannot be a balanced tree
        without changing its last bits. Instead each layer adds at most CHUNK
        terms to the partial sum the layer before made (`column_p1`, …): the
        order stays left to right, no expression is deeper than CHUNK, and no
        column is read in the SELECT that makes it (PostgreSQL and BigQuery
        have no lateral column aliases).

        `fold(items)`, where the engine has one (`list_fold_sum`), writes
        `((items[0] + items[1]) + …)` as one flat expression: a sum of more
        than CHUNK terms is then one column of the first layer (its `finish`,
        which reads the sum more than once, in the next), since every layer
        is a `SELECT *` of all the columns before it and an engine's planning
        grows with layers × columns (docs/sql.md, "Big models").
        """
        partial = {column: num(0.0) for column, _, _ in sums}
        pending, step = list(sums), 0
        while pending:
            columns, later = [], []
            for column, terms, finish in pending:
                value = partial[column]
                if fold is not None and len(terms) > CHUNK:
                    value, terms = fold([value] + list(terms)), []
                    if finish:                  # the whole sum now, `finish` in the next layer
                        partial[column] = col(f"{column}_p{step + 1}")
                        columns.append((f"{column}_p{step + 1}", value))
                        later.append((column, [], finish))
                        continue
                for term in terms[:CHUNK]:
                    value = add(value, term)
                if len(terms) > CHUNK:
                    partial[column] = col(f"{column}_p{step + 1}")
                    columns.append((f"{column}_p{step + 1}", value))
                    later.append((column, terms[CHUNK:], finish))
                else:
                    columns.append((column, finish(value) if finish else value))
            self.extend(name if step == 0 else f"{name}_{step}", columns)
            pending, step = later, step + 1


def list_fold_sum(items: list) -> exp.Expression:
    """DuckDB: `LIST_REDUCE(LIST_VALUE(i0, i1, …), LAMBDA s, t : s + t)`, `((i0 + i1) + i2) + …` left
    to right (a left fold, as the Python runtime adds), in an expression whose depth does not grow
    with the items (`Layers.sums`)."""
    return call("LIST_REDUCE", call("LIST_VALUE", *items),
                lambda_(["__s", "__t"], lambda s, t: exp.Add(this=s, expression=t)))
