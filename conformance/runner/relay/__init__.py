"""The relay suite (`tigress-conformance relay`): registry, context,
engine, the cases by category (cases/), and their helpers (preview,
uuidstats)."""
