"""Deliberately altered cores through the normal generator path.

``with_component(ir, cls)`` is the same IR (same manifest, same name) whose ``component()``
builds ``cls(ir)`` instead: a broken variant of a core is generated, simulated and checked
exactly like the real one, so a bench or a proof is shown to fail on it.
"""

import dataclasses

__all__ = ["with_component"]


def with_component(ir, component_class):
    """A copy of ``ir`` whose ``component()`` returns ``component_class(ir)``."""
    sub = type(f"{type(ir).__name__}_{component_class.__name__}", (type(ir),),
               {"component": lambda self: component_class(self)})
    return sub(**{f.name: getattr(ir, f.name) for f in dataclasses.fields(ir) if f.init})
