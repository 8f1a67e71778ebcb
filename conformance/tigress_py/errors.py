"""The one exception type of tigress_py.

Every rule violation is reported as a `TigressError` carrying a stable code
of spec/errors.md and, where the fault is in one member of a JSON value,
the dotted path of that member (e.g. ``displayInformation.title``); ``""``
stands for the whole input.
"""


class TigressError(Exception):
    """A protocol rule was broken.

    Attributes:
        code:    an error code of spec/errors.md (e.g. ``"url_host"``).
        field:   dotted JSON path of the offending member, or ``""``.
        message: a human-readable explanation.
    """

    def __init__(self, code: str, field: str = "", message: str = ""):
        self.code = code
        self.field = field
        self.message = message or code
        super().__init__(self.message)

    def __str__(self) -> str:
        where = f" at {self.field!r}" if self.field else ""
        return f"{self.code}{where}: {self.message}"

    def __repr__(self) -> str:
        return f"TigressError({self.code!r}, {self.field!r}, {self.message!r})"

    def prefixed(self, prefix: str) -> "TigressError":
        """Return a copy whose field is nested under `prefix` (a dotted path).

        ``TigressError("payload_type", "type").prefixed("payload")`` has field
        ``payload.type``; an empty field becomes ``prefix`` itself.
        """
        field = f"{prefix}.{self.field}" if self.field else prefix
        return TigressError(self.code, field, self.message)
