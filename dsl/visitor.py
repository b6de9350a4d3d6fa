"""How every stage walks nodes: one method per node class, found by name.

In the style of Jinja2's `NodeVisitor`: `visit(node, *args)` calls
`visit_<NodeClassName>(node, *args)`. A stage that walks the same nodes
twice for two different answers (codegen writes a value and a condition;
the formatter lays out items and options) names its second family of
handlers by another prefix and calls `dispatch("truth", node, ...)`, as
sqlglot's generator names its handlers `<kind>_sql`.

The handler is found once per (stage class, family, node class) and cached
on the stage class, so a walk costs one dict lookup per node. (So a handler
replaced on a class after its first use is not seen; a test that needs a
different handler defines a subclass, which starts with an empty cache.) A node
class with no handler is a `NotImplementedError` naming the stage and the
node, never an `AttributeError` from deep inside; tests/test_dispatch.py
checks that every stage handles every node class it can meet.
"""

from __future__ import annotations


class NodeVisitor:
    """Base of a stage that walks nodes; subclasses define `visit_<Node>` methods."""

    #: The stage's name in errors ("the checker"); the class name when empty.
    stage_name: str = ""
    _handlers: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._handlers = {}

    def visit(self, node, *args):
        """`visit_<class of node>(node, *args)`."""
        try:
            handler = self._handlers[type(node)]   # the common family is keyed by class alone
        except KeyError:
            handler = self._handlers[type(node)] = self._find("visit", type(node))
        return handler(self, node, *args)

    def dispatch(self, family: str, node, *args, **kwargs):
        """`<family>_<class of node>(node, *args, **kwargs)`."""
        key = (family, type(node))
        try:
            handler = self._handlers[key]
        except KeyError:
            handler = self._handlers[key] = self._find(family, type(node))
        return handler(self, node, *args, **kwargs)

    @classmethod
    def handler(cls, family: str, node_class: type):
        """The function that handles `node_class` in `family`, or None."""
        return getattr(cls, f"{family}_{node_class.__name__}", None)

    @classmethod
    def _find(cls, family: str, node_class: type):
        found = cls.handler(family, node_class)
        if found is None:
            what = "" if family == "visit" else f" ({family})"
            raise NotImplementedError(f"{cls.stage_name or cls.__name__}{what} has no handler for "
                                      f"{node_class.__module__.rsplit('.', 1)[-1]}.{node_class.__name__}")
        return found
