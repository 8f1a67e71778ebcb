"""Is a sample of mailbox identifiers random?  (THREAT-ID-GUESS)

A version 4 UUID has 122 random bits: all but the version nibble (bits
48-51, value 4) and the two variant bits (64-65, value 10).  Over a sample
of n identifiers each random bit should be set about n/2 times (a binomial
with standard deviation sqrt(n)/2), consecutive identifiers should differ
in about 61 of those bits, and none should repeat.  The bounds are wide
(BIT_SIGMA standard deviations) so that a good generator fails with a
probability far below one in a million per run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List

from tigress_py import uuids

BIT_SIGMA = 5.5
VERSION_BITS = range(48, 52)        # bit 0 = most significant
VARIANT_BITS = (64, 65)
RANDOM_POSITIONS = [b for b in range(128) if b not in VERSION_BITS
                    and b not in VARIANT_BITS]
RANDOM_MASK = sum(1 << (127 - b) for b in RANDOM_POSITIONS)


def to_int(u: str) -> int:
    return int(u.replace("-", ""), 16)


def to_uuid(n: int) -> str:
    h = "%032x" % (n % (1 << 128))
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def is_v4(n: int) -> bool:
    return (n >> 76) & 0xF == 4 and (n >> 62) & 0x3 == 2


@dataclass
class Report:
    count: int = 0
    malformed: List[str] = field(default_factory=list)
    duplicates: List[str] = field(default_factory=list)
    not_v4: int = 0
    biased_bits: List[str] = field(default_factory=list)
    max_z: float = 0.0
    mean_distance: float = 0.0
    pairs: int = 0
    close_pairs: int = 0
    sequential: bool = False
    sequential_reason: str = ""

    def summary(self) -> str:
        return ("%d identifiers: %d malformed, %d duplicates, %d not v4; "
                "largest bit bias %.1f standard deviations; consecutive "
                "identifiers differ in %.1f of 122 random bits on average "
                "(%d pairs, %d numerically close)" % (
                    self.count, len(self.malformed), len(self.duplicates),
                    self.not_v4, self.max_z, self.mean_distance, self.pairs,
                    self.close_pairs))


def analyse(lists: List[List[str]]) -> Report:
    """`lists`: identifiers in creation order, one list per client that
    created them (consecutive means consecutive within a list)."""
    r = Report()
    seen = set()
    valid: List[int] = []
    for lst in lists:
        for u in lst:
            r.count += 1
            if not uuids.is_form(u):
                r.malformed.append(u)
                continue
            k = u.lower()
            if k in seen:
                r.duplicates.append(k)
            seen.add(k)
            n = to_int(u)
            valid.append(n)
            if not is_v4(n):
                r.not_v4 += 1
    n = len(valid)
    if n >= 100:
        sd = math.sqrt(n) / 2
        for b in RANDOM_POSITIONS:
            ones = sum((v >> (127 - b)) & 1 for v in valid)
            z = abs(ones - n / 2) / sd
            r.max_z = max(r.max_z, z)
            if z > BIT_SIGMA:
                r.biased_bits.append("bit %d set in %d of %d" % (b, ones, n))
    dist_total = 0
    for lst in lists:
        ints = [to_int(u) for u in lst if uuids.is_form(u)]
        for a, b in zip(ints, ints[1:]):
            dist_total += bin((a ^ b) & RANDOM_MASK).count("1")
            r.pairs += 1
            if abs(a - b) < (1 << 64):
                r.close_pairs += 1
    if r.pairs:
        r.mean_distance = dist_total / r.pairs
        sd_mean = (math.sqrt(122) / 2) / math.sqrt(r.pairs)
        if r.pairs >= 50 and abs(r.mean_distance - 61) > max(3.0,
                                                             8 * sd_mean):
            r.sequential = True
            r.sequential_reason = ("consecutive identifiers differ in %.1f "
                                   "random bits on average" % r.mean_distance)
        if r.close_pairs > max(2, r.pairs // 100):
            r.sequential = True
            r.sequential_reason = ("%d of %d consecutive pairs differ by less "
                                   "than 2^64" % (r.close_pairs, r.pairs))
    return r


def predict(lists: List[List[str]], ahead: int = 4) -> List[str]:
    """Identifiers a guesser would try next: the few after the largest
    and after each client's last identifier, counting as plain 128-bit
    numbers."""
    ints = [to_int(u) for lst in lists for u in lst if uuids.is_form(u)]
    if not ints:
        return []
    bases = {max(ints)} | {to_int(lst[-1]) for lst in lists
                           if lst and uuids.is_form(lst[-1])}
    out: List[str] = []
    for base in sorted(bases):
        for k in range(1, ahead + 1):
            g = to_uuid(base + k)
            if g not in out:
                out.append(g)
    return out[:4 * ahead]
