"""The price table: dated, sourced defaults (prices.json) merged with user overrides."""

from __future__ import annotations

import json
import math
import pathlib
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Union

from .errors import PriceError

DEFAULT_FILE = pathlib.Path(__file__).with_name("prices.json")
MONTH_HOURS = 730.0  # The cloud providers' billing month (365 * 24 / 12).


@dataclass(frozen=True)
class Price:
    value: float
    unit: str
    source: str
    date: str


class Prices:
    """Named prices; `[name]` raises PriceError when a price is missing."""

    def __init__(self, entries: Mapping[str, Optional[Price]], origin: str):
        self.entries = dict(entries)
        self.origin = origin

    def __getitem__(self, name: str) -> float:
        p = self.entries.get(name)
        if p is None:
            raise PriceError(f"missing price '{name}' (prices from {self.origin}); add it to the --prices file, "
                             f"e.g. {{\"{name}\": {{\"value\": ..., \"source\": ..., \"date\": ...}}}}")
        return p.value

    def get(self, name: str) -> Price:
        self[name]
        return self.entries[name]  # type: ignore[return-value]


def _parse(raw: Any, where: str, allow_null: bool) -> Dict[str, Optional[Price]]:
    if not isinstance(raw, dict):
        raise PriceError(f"{where}: expected a JSON object of price entries, got {type(raw).__name__}")
    out: Dict[str, Optional[Price]] = {}
    for name, entry in raw.items():
        if name.startswith("_"):
            continue  # Comments.
        if entry is None and allow_null:
            out[name] = None  # Removes a default: the options that need it then fail clearly.
            continue
        if isinstance(entry, (int, float)) and not isinstance(entry, bool):
            entry = {"value": entry}
        if not isinstance(entry, dict) or "value" not in entry:
            raise PriceError(f"{where}: price '{name}' must be a number or an object with \"value\", got {entry!r}")
        value = entry["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise PriceError(f"{where}: price '{name}' has value {value!r}; it must be a finite number >= 0")
        out[name] = Price(float(value), str(entry.get("unit", "")), str(entry.get("source", where)),
                          str(entry.get("date", "user-supplied")))
    return out


def load_prices(override: Union[str, pathlib.Path, Mapping[str, Any], None] = None,
                defaults: bool = True) -> Prices:
    """The default table, with `override` (a file or a dict) merged over it.

    Override keys must name a default price (a typo would otherwise be silently ignored); `null` removes
    a price. With defaults=False the override is the whole table.
    """
    base = _parse(json.loads(DEFAULT_FILE.read_text()), str(DEFAULT_FILE), False) if defaults else {}
    origin = "the defaults" if defaults else "(none)"
    if override is None:
        return Prices(base, origin)
    if isinstance(override, (str, pathlib.Path)):
        where = str(override)
        try:
            raw = json.loads(pathlib.Path(override).read_text())
        except OSError as e:
            raise PriceError(f"cannot read price file {where}: {e.strerror}") from None
        except json.JSONDecodeError as e:
            raise PriceError(f"{where}:{e.lineno}:{e.colno}: not valid JSON ({e.msg})") from None
    else:
        where, raw = "prices argument", dict(override)
    extra = _parse(raw, where, True)
    if defaults:
        unknown = sorted(set(extra) - set(base))
        if unknown:
            raise PriceError(f"{where}: unknown price name(s) {', '.join(unknown)}; known names: "
                             f"{', '.join(sorted(base))}")
    base.update(extra)
    return Prices(base, f"{origin} + {where}" if defaults else where)
