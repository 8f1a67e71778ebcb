"""Generated malformed inputs, from the protocol description
(spec/protocol.json): no hand-picked list, every member of every request
body, every time and UUID field.  Pure generation, no I/O; the INPUT-*
cases (cases/input.py) send them and judge the answers.

- `body_inputs(kind, base, rng)`: for every member of a request body
  (create, update, read; nested members too): missing, null, each wrong
  JSON type, empty, over-long (max_bytes + 1), non-ASCII, and for the
  value forms with a small domain (AEAD type, access rights) their
  near-misses.
- `time_near_misses(t)`: the family of near-miss RFC 3339 forms of a
  valid time t, as the invalid cases of vectors/rfc3339.json group them
  (no zone, offsets, fractions, lower case, leap second, 24:00:00, year
  0000, impossible dates, separators, padding, other digits...).
- `uuid_near_misses(u)`: the near-miss forms of a UUID, as the invalid
  cases of vectors/uuid.json group them (length, hyphens, braces,
  urn:uuid:, spaces, non-hex, other digits and hyphens), and its upper
  case (a valid form).
- `path_inputs(mid)`: those near-misses of mailbox identifier `mid` in
  the path of every operation on a mailbox (preview, read, update,
  relinquish, delete: the description's operations on `paths.mailbox`).
- `header_inputs(profile)`: for every header but the claim (whose
  near-misses are the UUID's) of every operation, by the header's value
  form: missing where required, empty, at and over its byte limit, with a
  non-ASCII character, a TAB, and the code points just outside its range.
- `display_hazards(rng)`: display information with every type and
  escaping hazard for the preview page.

What a conforming relay answers is decided by tigress_py's body checks
(the oracle, spec/rules.md): an input they refuse is to be refused (4xx),
one they take is to be accepted.  Which requirement a relay breaks by
answering otherwise - and so the verdict - comes from the description:
the constraint's basis ("draft": the body's `invalid` requirements, FAIL;
a decision such as E-LIMITS: INFO or WARN).

Deterministic: the same seed gives the same inputs (`rng` is a
random.Random seeded by the run's --seed and the case); only the claims,
request ids and times, fresh for every run, differ.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import protocol
from tigress_py import bodies
from tigress_py.errors import TigressError

from ..core.wellformed import header_kinds, header_problem

SAMPLE = {"string": "x", "number": 7, "boolean": True,
          "object": {"x": 1}, "array": [1]}
# Non-ASCII text: accented Latin, CJK, Arabic, an emoji outside the BMP,
# a combining mark.
NON_ASCII_TEXT = ["Clé de l'hôtel", "車の鍵 🔑", "مفتاح السيارة",
                  "e\u0301\u0301 \U0001F3E8", "Ключ \u2014 ключ"]
FILLER = "xé鍵🔑"                   # 1, 2, 3 and 4 bytes of UTF-8
NEAR_MISS_VALUES = {
    "aead_type": ["aead_aes_128_gcm", "AEAD_AES_192_GCM", "AES-128-GCM",
                  "AEAD_AES_128_GCM ", "AEAD_CHACHA20_POLY1305"],
    "access_rights": ["rwd", "XW", "WD", "RR", "R W", "RWDX", "D"],
}
# A valid value of a form made invalid by one non-ASCII character.
NON_ASCII_FORMS = {
    "aead_type": lambda v: "AEAD_AES_128_GC\u041c",   # Cyrillic capital EM
    "access_rights": lambda v: "R\uff37",              # fullwidth W
    "aead_data": lambda v: v[:4] + "\u00e9" + v[5:],   # é in the base64
    "time": lambda v: v[:17] + "\u0661" + v[18:],      # Arabic-Indic one
}
DELETE = object()            # a variant that removes the member


@dataclass
class Input:
    """One generated input: what it is, the body to send, what a
    conforming relay does with it and the requirements it breaks
    otherwise."""
    what: str                      # "displayInformation.title as a number"
    variant: str                   # missing, null, type:number, empty...
    body: Optional[dict] = None    # the request body
    value: Optional[str] = None    # a header or path value
    expect: str = "refuse"         # refuse (4xx), accept (2xx), either
    basis: List[str] = field(default_factory=list)
    rule: str = ""                 # the oracle's verdict: code at field
    op: str = ""                   # header and path inputs: the operation
    header: str = ""               # header inputs: request_id, attestation

    def encoded(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode(
            "utf-8", "surrogatepass")


def rng_for(seed: int, name: str) -> random.Random:
    """The generator of case `name` under `seed` (stable across runs and
    Python versions: no hash randomisation)."""
    return random.Random("%d:%s" % (seed, name))


# -- bodies ------------------------------------------------------------------------------

def _get(obj: dict, path: str):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _set(obj: dict, path: str, value, delete: bool = False) -> dict:
    obj = copy.deepcopy(obj)
    parts = path.split(".")
    cur = obj
    for p in parts[:-1]:
        cur = cur[p]
    if delete:
        del cur[parts[-1]]
    else:
        cur[parts[-1]] = value
    return obj


def _long(rng: random.Random, n_bytes: int) -> str:
    """A string of exactly `n_bytes` bytes of UTF-8 made of FILLER
    characters (seeded), padded with ASCII."""
    out, size = [], 0
    while True:
        ch = rng.choice(FILLER)
        b = len(ch.encode("utf-8"))
        if size + b > n_bytes:
            break
        out.append(ch)
        size += b
    return "".join(out) + "x" * (n_bytes - size)


def _variants(p, m, valid, rng) -> List[Tuple[str, str, object]]:
    """(variant, description, value or DELETE) of member `m` whose valid
    value is `valid`."""
    out = [("missing", "without %s", DELETE), ("null", "%s null", None)]
    for t in ("string", "number", "boolean", "object", "array"):
        if t != m.type:
            out.append(("type:" + t, "%%s as %s %s" % (
                "an" if t[0] in "aeiou" else "a", t), SAMPLE[t]))
    if m.type == "object":
        out.append(("empty", "%s an empty object", {}))
        return out
    if m.type != "string":
        return out
    out.append(("empty", "%s empty", ""))
    vmax = (p.value(m.value).get("max_bytes") if m.value else None)
    top = m.max_bytes if m.max_bytes is not None else vmax
    if top is not None:
        out.append(("over-long", "%%s of %d bytes" % (top + 1),
                    _long(rng, top + 1)))
    form = NON_ASCII_FORMS.get(m.value)
    if m.value in (None, "text"):
        out.append(("non-ascii", "%s in non-ASCII text",
                    rng.choice(NON_ASCII_TEXT)))
    elif form is not None and isinstance(valid, str):
        out.append(("non-ascii", "%s with a non-ASCII character",
                    form(valid)))
    for v in NEAR_MISS_VALUES.get(m.value, ()):
        out.append(("near-miss", "%%s %r" % v, v))
    return out


def body_inputs(kind: str, base: dict, rng: random.Random,
                accept_basis: Sequence[str]) -> List[Input]:
    """Every variant of every member of body `kind` (its valid body
    `base` must hold every member, optional ones too).  `accept_basis`:
    what a relay breaks by refusing a valid variant (RLY-CREATE-200...)."""
    p = protocol.load()
    out = []
    for path, m in p.walk(kind):
        valid = _get(base, path)
        if valid is None:
            continue
        for variant, what, value in _variants(p, m, valid, rng):
            body = _set(base, path, None, delete=True) if value is DELETE \
                else _set(base, path, value)
            out.append(judge(kind, Input(what % path, variant, body),
                             accept_basis, m))
    return out


def judge(kind: str, inp: Input, accept_basis: Sequence[str],
          member=None) -> Input:
    """Fill in what a conforming relay does with `inp` (tigress_py's body
    checks as the oracle) and the requirements it breaks otherwise."""
    try:
        bodies.parse(kind, inp.encoded())
    except TigressError as e:
        inp.expect, inp.rule = "refuse", "%s at %s" % (e.code, e.field or
                                                       "the body")
        inp.basis = basis_of(kind, e)
        return inp
    inp.expect, inp.rule = "accept", "valid"
    if inp.variant == "non-ascii":
        inp.basis = ["RLY-UTF8"]
    elif member is not None and member.name == "mailboxConfiguration":
        inp.basis = ["RLY-DEFAULT-CONFIG"]      # §6.1.5 contradicts itself
    else:
        inp.basis = list(accept_basis)
    return inp


_CONSTRAINT = {"field_missing": "required", "field_type": "type",
               "field_too_long": "max_bytes"}


def basis_of(kind: str, e: TigressError) -> List[str]:
    """The requirements a relay breaks by accepting a body of `kind` that
    tigress_py refuses with `e`."""
    p = protocol.load()
    invalid = list(p.body(kind)["invalid"])
    if not e.field:                         # the whole body
        return invalid
    members = dict(p.walk(kind))
    m = members.get(e.field)
    if m is None:
        return invalid
    constraint = _CONSTRAINT.get(e.code)
    if constraint is None and e.code == "field_value" and m.min_bytes and \
            m.value in (None, "text"):
        constraint = "min_bytes"
    if constraint is not None:
        b = m.basis(constraint, p.basis_default)
    else:                                   # the value's form
        b = p.value(m.value).get("basis", "draft") if m.value else "draft"
    return invalid if b == "draft" else [b]


# -- times -------------------------------------------------------------------------------

def time_near_misses(t: str) -> List[Tuple[str, str]]:
    """(family, string) near-misses of the valid time `t`
    (YYYY-MM-DDThh:mm:ssZ), each refused by TIME-FORM or TIME-RANGE."""
    date, clock = t[:10], t[11:19]
    y, mo, d = date[:4], date[5:7], date[8:10]
    return [
        ("no time zone", "%sT%s" % (date, clock)),
        ("offset +00:00", "%sT%s+00:00" % (date, clock)),
        ("offset -05:00", "%sT%s-05:00" % (date, clock)),
        ("offset +14:00", "%sT%s+14:00" % (date, clock)),
        ("fraction .5", "%sT%s.5Z" % (date, clock)),
        ("fraction .000", "%sT%s.000Z" % (date, clock)),
        ("fraction of nanoseconds", "%sT%s.123456789Z" % (date, clock)),
        ("lower-case t", "%st%sZ" % (date, clock)),
        ("lower-case z", "%sT%sz" % (date, clock)),
        ("lower-case t and z", "%st%sz" % (date, clock)),
        ("space instead of T", "%s %sZ" % (date, clock)),
        ("leap second", "%sT23:59:60Z" % date),
        ("24:00:00", "%sT24:00:00Z" % date),
        ("minute 60", "%sT12:60:00Z" % date),
        ("month 13", "%s-13-%sT%sZ" % (y, d, clock)),
        ("month 00", "%s-00-%sT%sZ" % (y, d, clock)),
        ("day 00", "%s-%s-00T%sZ" % (y, mo, clock)),
        ("day 32", "%s-%s-32T%sZ" % (y, mo, clock)),
        ("February 30", "%s-02-30T%sZ" % (y, clock)),
        ("April 31", "%s-04-31T%sZ" % (y, clock)),
        ("February 29 of 2100", "2100-02-29T%sZ" % clock),
        ("year 0000", "0000-%s-%sT%sZ" % (mo, d, clock)),
        ("five-digit year", "1%s-%s-%sT%sZ" % (y, mo, d, clock)),
        ("sign before the year", "+%sZ" % t[:-1]),
        ("single-digit month", "%s-%d-%sT%sZ" % (y, int(mo), d, clock)),
        ("slashes", "%s/%s/%sT%sZ" % (y, mo, d, clock)),
        ("date only", date),
        ("no seconds", "%sT%sZ" % (date, clock[:5])),
        ("basic format", "%s%s%sT%sZ" % (y, mo, d, clock.replace(":", ""))),
        ("leading space", " " + t),
        ("trailing newline", t + "\n"),
        ("UTC instead of Z", t[:-1] + "UTC"),
        ("Arabic-Indic digit", t[:17] + "\u0661" + t[18:]),
        ("fullwidth digit", "\uff12" + t[1:]),
        ("seconds since the epoch as text", "1893456000"),
    ]


# -- UUIDs -------------------------------------------------------------------------------

def uuid_near_misses(u: str) -> List[Tuple[str, str, str]]:
    """(family, string, kind) near-misses of the lower-case UUID `u`.
    kind: "same" - a valid form of the same UUID (upper case,
    E-UUID-CASE); "representation" - not UUID-FORM but the same 32 hex
    digits to a lenient reader (braces, urn:uuid:, other separators,
    spaces, other digits of the same value); "other" - names another
    identifier (one digit more or less, a character replaced)."""
    i = max(k for k, c in enumerate(u) if c.isdigit())
    wide = chr(ord(u[0]) + 0xFEE0)               # fullwidth form of u[0]
    arabic = chr(0x660 + int(u[i]))               # Arabic-Indic digit
    return [
        ("upper case", u.upper(), "same"),
        ("no hyphens", u.replace("-", ""), "representation"),
        ("braces", "{%s}" % u, "representation"),
        ("urn:uuid: prefix", "urn:uuid:" + u, "representation"),
        ("leading space", " " + u, "representation"),
        ("trailing space", u + " ", "representation"),
        ("trailing newline", u + "\n", "representation"),
        ("hyphen moved", u[:8] + u[9] + "-" + u[10:], "representation"),
        ("group shifted", u[:23] + u[24] + "-" + u[25:], "representation"),
        ("underscore for a hyphen", u[:8] + "_" + u[9:], "representation"),
        ("Unicode hyphen U+2010", u[:8] + "\u2010" + u[9:],
         "representation"),
        ("fullwidth character", wide + u[1:], "representation"),
        ("Arabic-Indic digit", u[:i] + arabic + u[i + 1:], "representation"),
        ("35 characters", u[:-1], "other"),
        ("37 characters", u + "0", "other"),
        ("non-hex letter g", u[:-1] + "g", "other"),
        ("hyphen for the last digit", u[:-1] + "-", "other"),
        ("NUL for the last digit", u[:-1] + "\x00", "other"),
        ("plus sign", "+" + u[1:], "other"),
    ]


def path_inputs(mid: str) -> List[Input]:
    """The near-misses of mailbox identifier `mid` (uuid_near_misses) in
    the path of every operation on a mailbox, from the description: a
    form of the same UUID is to be taken (E-UUID-CASE, the path
    parameter's basis), any other refused; one naming another identifier
    breaks the operation's mailbox.unknown outcome (RLY-UPDATE-404...).
    In an order that keeps the mailbox as long as a relay lets it: the
    operation that deletes it last, and within each operation first the
    forms naming another identifier (which no relay may act on), then the
    other representations, and the form that is taken last."""
    p = protocol.load()
    param = p.data["paths"]["mailbox"]["parameter"]["value"]
    same_basis = [p.value(param)["basis"]]
    ops = [op for op, spec in p.operations.items()
           if spec["path"] == "mailbox"]
    ops.sort(key=lambda op: "mailbox.delete" in p.outcome(op, "always").get(
        "effects", ()))
    order = {"other": 0, "representation": 1, "same": 2}
    near = sorted(uuid_near_misses(mid), key=lambda x: order[x[2]])
    out = []
    for op in ops:
        unknown = list(p.outcome(op, "mailbox.unknown")["requirements"])
        for family, value, kind in near:
            out.append(Input("the %s of %r (%s)" % (op, value, family),
                             "near-miss:path", value=value,
                             expect="accept" if kind == "same" else "refuse",
                             basis=unknown if kind == "other" else
                             list(same_basis), op=op))
    return out


# -- headers -----------------------------------------------------------------------------

HEADER_BASE = "generated-input"      # a valid value to put a fault into
HEADER_NON_ASCII = "\u9375"           # three bytes of UTF-8, not Latin-1


def _header_variants(kind: str, need: str) -> List[Tuple[str, str, object]]:
    """(variant, description, value; DELETE: left out) of a header of
    `kind` whose presence is `need`, from its value form."""
    p = protocol.load()
    v = p.value(p.data["headers"][kind]["value"])
    out = [("missing", "without %s", DELETE)] if need == "required" else []
    out.append(("empty", "%s empty", ""))
    top = v.get("max_bytes")
    if top is not None:
        out += [("at the limit", "%%s of %d bytes" % top, "x" * top),
                ("over-long", "%%s of %d bytes" % (top + 1),
                 "x" * (top + 1))]
    inside = [("non-ascii", "a non-ASCII character", HEADER_NON_ASCII),
              ("tab", "a TAB", "\t")]
    if "code_points" in v:
        lo, hi = v["code_points"]
        inside += [("below the range", "U+%04X" % (lo - 1), chr(lo - 1)),
                   ("above the range", "U+%04X" % (hi + 1), chr(hi + 1))]
    for variant, what, ch in inside:
        out.append((variant, "%%s with %s" % what,
                    HEADER_BASE[:9] + ch + HEADER_BASE[9:]))
    return out


def header_inputs(profile: str) -> List[Input]:
    """Every header variant of every operation under `profile`, but the
    claim's (INPUT-UUID).  What a conforming relay does comes from the
    description: a value that breaks its form (wellformed.header_problem),
    or a required header left out, is refused - a relay that takes it
    departs from the operation's header.KIND.malformed or .missing
    outcome (E-REQID-FORM, X-LIMITS); a valid one is taken - refusing it
    breaks the operation's success (RLY-CREATE-200...), or for the
    attestation, which a relay may refuse, RLY-ATTESTATION-MAY."""
    p = protocol.load()
    out = []
    for op in p.operations:
        for kind, need in header_kinds(profile, op).items():
            if kind == "claim":
                continue
            name = p.header(profile, kind)
            for variant, what, value in _header_variants(kind, need):
                inp = Input("%s: %s" % (op, what % name), "header:" + variant,
                            value=None if value is DELETE else value, op=op,
                            header=kind)
                if value is DELETE:
                    when = "header.%s.missing" % kind
                else:
                    when = "header.%s.malformed" % kind if \
                        header_problem(kind, value) else None
                if when is not None:
                    inp.expect = "refuse"
                    inp.basis = list(p.outcome(op, when)["requirements"])
                elif kind == "attestation":
                    inp.expect = "accept"
                    inp.basis = list(p.data["headers"][kind][
                        "requirements"][:1])
                else:
                    inp.expect = "accept"
                    inp.basis = list(p.outcome(op, "always")[
                        "requirements"][:1])
                out.append(inp)
    return out


# -- display information -----------------------------------------------------------------

HAZARDS = [
    ("markup closing the title", "</title><script>alert(1)</script>"),
    ("an attribute breakout", '"><img src=x onerror=alert(1)>'),
    ("a single-quote breakout", "' onmouseover='alert(1)' x='"),
    ("an HTML comment and CDATA", "<!-- ]]> -->"),
    ("a meta refresh", '<meta http-equiv="refresh" content="0;url=https://evil.example/">'),
    ("literal entities", "&amp; &lt;b&gt; &#x27; &#34; &"),
    ("SVG with an onload", "<svg onload=alert(1)>"),
    ("a script end inside JSON", "</script><script>alert(1)</script>"),
    ("template syntax", "{{7*7}} ${7*7} <%= 7*7 %> #{7*7}"),
    ("a right-to-left override", "invoice\u202egnp.exe"),
    ("line and paragraph separators", "a\u2028b\u2029c"),
    ("CR LF and a header", "title\r\nSet-Cookie: tracked=1"),
    ("zero-width and byte-order marks", "\u200b\u200d\ufeffkey"),
    ("combining marks", "Z\u0351\u0307\u0336a\u0489l\u0334g\u0353o"),
    ("backslashes and quotes", '\\" \\\\ \\u003c \'"`'),
    ("a percent format", "%s%n%x %00"),
]
IMAGE_HAZARDS = [
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    'https://example.com/i.png"><script>alert(2)</script>',
    "https://example.com/a b.png",
    "//evil.example/pixel.png",
    "https://example.com/i.png\r\nX-Injected: 1",
]


def display_hazards(rng: random.Random, base: dict) -> List[Input]:
    """Display information with each hazard in the title, the
    description and (for URL hazards) imageURL; each is valid by the
    rules (any text), so a relay may take it or refuse it, and its
    preview must show it inertly."""
    out = []
    hazards = list(HAZARDS)
    rng.shuffle(hazards)
    images = list(IMAGE_HAZARDS)
    for i, (what, text) in enumerate(hazards):
        d = dict(base, title=text[:256],
                 description=hazards[(i + 1) % len(hazards)][1],
                 imageURL=images[i % len(images)])
        out.append(Input("display information with %s" % what, "hazard",
                         {"displayInformation": d}, expect="either"))
    return out
