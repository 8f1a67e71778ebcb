"""The cases, by category.  Importing this package registers them all in
model.REGISTRY, in this order."""

from . import api, replay, threat, opacity, profile
from . import explore   # model-based sequences last (runner/explore)

__all__ = ["api", "replay", "threat", "opacity", "profile", "explore"]
