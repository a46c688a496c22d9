"""The CPU and memory limits a deploy takes, as patterns exact enough for the document:
the syntax of ``nexus.ai.spec`` (``500m``, ``0.5``, ``256Mi``, ``1G``) and its smallest
values too (10m CPU, 32Mi memory), so a value the pattern allows is never refused as too
small and one it refuses is never taken. ``spec`` computes with decimals, not floats, so
the bound holds to the last digit.
"""

from __future__ import annotations

from decimal import Decimal


def _greater(digits: str) -> list[str]:
    """Patterns of the digit strings as long as ``digits`` and greater than it."""
    found = []
    for i, d in enumerate(digits):
        if d != "9":
            rest = len(digits) - i - 1
            found.append(digits[:i] + f"[{int(d) + 1}-9]" + (rf"\d{{{rest}}}" if rest else ""))
    return found


def _fraction_at_least(digits: str) -> str:
    """A pattern of the fraction digits (after the point) worth at least ``.digits``."""
    ways = [digits + r"\d*"]
    for i, d in enumerate(digits):
        if d != "9":
            ways.append(digits[:i] + f"[{int(d) + 1}-9]" + r"\d*")
    return "(?:" + "|".join(ways) + ")"


def at_least(bound: Decimal, fraction: bool = True) -> str:
    """A pattern (not anchored) of the decimals ``\\d+(\\.\\d+)?`` worth ``bound`` or more
    (whole numbers only without ``fraction``), leading zeros allowed."""
    whole, _, part = format(bound.normalize(), "f").partition(".")
    tail = r"(?:\.\d+)?" if fraction else ""
    ways = []
    if whole == "0":
        ways.append(r"0*[1-9]\d*" + tail)
        if part and fraction:
            ways.append(r"0+\." + _fraction_at_least(part))
        elif not part:
            ways.append(r"0+" + tail)
    else:
        size = len(whole)
        ways.append(rf"0*[1-9]\d{{{size},}}" + tail)
        ways += ["0*" + g + tail for g in _greater(whole)]
        if not part:
            ways.append("0*" + whole + tail)
        elif fraction:
            ways.append("0*" + whole + r"\." + _fraction_at_least(part))
    return "(?:" + "|".join(ways) + ")"


def _anchored(body: str) -> str:
    return r"^\s*(?:" + body + r")\s*$"  # the parser strips blanks around the value


MIN_NANO_CPUS = 10_000_000
MIN_MEMORY = 32 * 2**20
UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9, "": 1}

# millicores (10m and up) or cores (0.01 and up)
CPU = _anchored(
    at_least(Decimal(MIN_NANO_CPUS) / 10**6, fraction=False)
    + "m|"
    + at_least(Decimal(MIN_NANO_CPUS) / 10**9)
)
# a size in each unit, at least 32Mi in bytes
MEMORY = _anchored("|".join(at_least(Decimal(MIN_MEMORY) / n) + u for u, n in UNITS.items()))
