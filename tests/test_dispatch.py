"""Every stage that walks nodes has a handler for every node class it can meet (dsl/visitor.py).

The node classes are enumerated from dsl/nodes.py (the AST) and dsl/ir.py
(the IR), so a node class added there without a handler in each stage
fails here, naming the stage and the node, rather than as an
`AttributeError` when a model first uses it.
"""

from __future__ import annotations

import inspect
import typing

import attrs
import pytest

from leadscore.dsl import ir, nodes as n
from leadscore.dsl.visitor import NodeVisitor


def classes_of(module) -> set:
    """The node classes a module defines (attrs classes, not those it imports)."""
    return {c for _, c in inspect.getmembers(module, inspect.isclass)
            if attrs.has(c) and c.__module__ == module.__name__}


def union(alias) -> set:
    return set(typing.get_args(alias))


# ---- the AST, by the role a node plays -------------------------------------------------

AST_EXPRESSIONS = union(n.Expr)
AST_SCALARS = {n.Str, n.Num, n.Bool}          # what a list, a sentinel or an arm holds
AST_LITERALS = AST_SCALARS | {n.Range, n.ListLiteral}
AST_DECAYS = union(n.DecaySpec)
AST_RULE_OPTIONS = {n.MaxOption, n.DistinctOption, n.DecayOption, n.TagOption, n.BecauseOption}
AST_OPTIONS = AST_RULE_OPTIONS | {n.MinOption, n.GroupMaxOption}
AST_BODIES = {n.ConditionBody, n.EachBody, n.TableBody}
AST_ITEMS = {n.ModelHeader, n.FieldDecl, n.EventDecl, n.ListDecl, n.ClampDecl, n.Rule, n.Group, n.Tiers,
             n.Qualify, n.Disqualify, n.Campaign, n.Account}
#: Parts read only through the node that holds them (no stage dispatches on them, but for the
#: formatter's `inside_`, to which a table's arm is a unit that holds none).
AST_PARTS = {n.Percent, n.Stream, n.AttrDecl, n.Points, n.Arm, n.Tier, n.Model}

IR_EXPRESSIONS = union(ir.Expr)


def test_every_ast_class_has_a_role():
    """A new AST class must be given a role here, and so a handler in each stage that walks that role."""
    roles = AST_EXPRESSIONS | AST_LITERALS | AST_DECAYS | AST_OPTIONS | AST_BODIES | AST_ITEMS | AST_PARTS
    assert classes_of(n) - roles == set(), "give these AST classes a role in tests/test_dispatch.py"


def test_every_ir_expression_is_in_the_union():
    """Every IR class built as an expression is in `ir.Expr` (the set the backends must handle)."""
    not_expressions = {ir.StreamDef, ir.Decay, ir.Scope, ir.Arm, ir.Rule, ir.Group, ir.Stage, ir.Campaign,
                       ir.Account, ir.Model}
    assert classes_of(ir) - not_expressions - IR_EXPRESSIONS == set(), "add them to ir.Expr"


def stages():
    """(stage, visitor class, family, the node classes it must handle)."""
    from leadscore.compiler import closures, codegen
    from leadscore.dsl import check, format
    from leadscore.review import modeldiff
    found = [
        ("checker", check.Checker, "visit", AST_EXPRESSIONS),
        ("checker", check.Checker, "decay", AST_DECAYS),
        ("formatter", format.Formatter, "visit", AST_EXPRESSIONS | AST_LITERALS | {n.Stream}),
        ("formatter", format.Formatter, "item", AST_ITEMS),
        ("formatter", format.Formatter, "option", AST_OPTIONS),
        ("formatter", format.Formatter, "decay", AST_DECAYS),
        ("formatter", format.Formatter, "rule", AST_BODIES),
        ("formatter", format.Formatter, "inside", AST_ITEMS | AST_BODIES | AST_SCALARS | {n.Arm}),
        ("tree edit", format.TreeEdit, "item", AST_ITEMS),
        ("map_points", format.PointsEdit, "points", AST_BODIES),
        ("map_caps", format.CapsEdit, "cap", AST_RULE_OPTIONS),
        ("closures", closures.Compiler, "visit", IR_EXPRESSIONS),
        ("codegen", codegen.Generator, "visit", IR_EXPRESSIONS),
        ("codegen", codegen.Generator, "truth", IR_EXPRESSIONS),
        ("diff", modeldiff._Pieces, "text", AST_SCALARS | AST_DECAYS),
        ("diff", modeldiff._Pieces, "key", AST_SCALARS),
        ("diff", modeldiff._Pieces, "decay", AST_DECAYS),
    ]
    try:
        from leadscore.compiler.sql import QueryBuilder
    except ImportError:                       # sqlglot is an extra
        pass
    else:
        found.append(("SQL", QueryBuilder, "visit", IR_EXPRESSIONS))
    return found


def test_every_stage_is_a_node_visitor():
    for stage, visitor, _, _ in stages():
        assert issubclass(visitor, NodeVisitor), f"{stage} does not dispatch through dsl/visitor.py"


@pytest.mark.parametrize("stage, visitor, family, required",
                         [pytest.param(*s, id=f"{s[0]}-{s[2]}") for s in stages()])
def test_every_stage_handles_every_node(stage, visitor, family, required):
    missing = sorted(c.__name__ for c in required if visitor.handler(family, c) is None)
    assert not missing, f"{stage} ({visitor.__name__}, {family}_<Node>) has no handler for: {', '.join(missing)}"


def test_a_node_without_a_handler_is_a_clear_error():
    from leadscore.compiler import closures

    class Unknown:
        pass

    compiler = closures.Compiler.__new__(closures.Compiler)
    with pytest.raises(NotImplementedError, match="the closures backend has no handler for .*Unknown"):
        compiler.visit(Unknown())


def test_an_edit_meeting_an_item_it_does_not_know_names_it():
    from leadscore.dsl.format import map_points

    class Unknown:
        pass

    with pytest.raises(NotImplementedError, match="the tree edit .*has no handler for .*Unknown"):
        map_points(n.Model(None, (Unknown(),)), lambda *_: None)
