"""The cases, by category.  Importing this package registers them all in
model.REGISTRY, in this order."""

from . import api, replay, threat, opacity, profile

__all__ = ["api", "replay", "threat", "opacity", "profile"]
