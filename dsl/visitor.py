"""How every stage walks nodes: one method per node class, found by name.

In the style of Jinja2's `NodeVisitor`: `visit(node, *args)` calls
`visit_<NodeClassName>(node, *args)`. A stage that walks the same nodes
twice for two different answers (codegen writes a value and a condition;
the formatter lays out items and options) names its second family of
handlers by another prefix and calls `dispatch("truth", node, ...)`, as
sqlglot's generator names its handlers `<kind>_sql`.

The handler's name is found once per (stage class, family, node class) and
cached on the stage class, so a walk costs a dict lookup and an attribute
lookup per node. A node
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

    def visit(self, node, *args, **kwargs):
        """`visit_<class of node>(node, *args, **kwargs)`."""
        kind = type(node)
        name = self._handlers.get(kind)             # the common family is keyed by class alone
        if name is None:
            name = self._handlers[kind] = self._find("visit", kind)
        return getattr(self, name)(node, *args, **kwargs)

    def dispatch(self, family: str, node, *args, **kwargs):
        """`<family>_<class of node>(node, *args, **kwargs)`."""
        key = (family, type(node))
        name = self._handlers.get(key)
        if name is None:
            name = self._handlers[key] = self._find(family, type(node))
        return getattr(self, name)(node, *args, **kwargs)

    @classmethod
    def handler(cls, family: str, node_class: type):
        """The function that handles `node_class` in `family`, or None."""
        return getattr(cls, f"{family}_{node_class.__name__}", None)

    @classmethod
    def _find(cls, family: str, node_class: type) -> str:
        """The name of the handler (the name, not the function: a patched method still counts)."""
        if cls.handler(family, node_class) is None:
            what = "" if family == "visit" else f" ({family})"
            raise NotImplementedError(f"{cls.stage_name or cls.__name__}{what} has no handler for "
                                      f"{node_class.__module__.rsplit('.', 1)[-1]}.{node_class.__name__}")
        return f"{family}_{node_class.__name__}"
