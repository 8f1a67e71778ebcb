"""The cases, by category.  Importing this package registers them all in
registry.REGISTRY, in this order: the hostile ones (generated inputs,
then the threats, whose most dangerous come last) run after the others."""

from . import api, replay, opacity, profile
from . import explore   # model-based sequences (runner/explore): not hostile
from . import input, threat   # the hostile cases last

__all__ = ["api", "replay", "opacity", "profile", "explore", "input",
           "threat"]
