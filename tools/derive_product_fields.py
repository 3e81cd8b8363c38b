#!/usr/bin/env python3
"""Adds two honest keyword fields to Open Food Facts product rows, for facets:

- country: the GS1 member organisation that issued the barcode prefix
  (EAN-13 prefix ranges, https://www.gs1.org/standards/id-keys/company-prefix).
  This is where the barcode was registered, not where the food was made.
  12-digit UPC-A codes are EAN-13 codes with a leading 0 (USA/Canada).
  Prefixes reserved for in-store or restricted use give "restricted".
- nutrition_band: the UK FSA front-of-pack traffic light, per 100 g:
  red if sugars > 22.5 g, saturated fat > 5 g or salt > 1.5 g; green if every
  known value is at most 5 g sugars, 1.5 g saturated fat and 0.3 g salt;
  amber otherwise; unknown if none of the three is known.

Usage: derive_product_fields.py IN.jsonl[.gz] OUT.jsonl.gz   (idempotent)"""
import gzip
import json
import os
import sys

# (first prefix, last prefix, name): 3-digit EAN-13 prefixes.
GS1 = [
    (0, 19, "USA/Canada"), (20, 29, "restricted"), (30, 39, "USA/Canada"), (40, 49, "restricted"),
    (50, 59, "restricted"), (60, 139, "USA/Canada"), (200, 299, "restricted"),
    (300, 379, "France"), (380, 380, "Bulgaria"), (383, 383, "Slovenia"), (385, 385, "Croatia"),
    (387, 387, "Bosnia and Herzegovina"), (389, 389, "Montenegro"), (400, 440, "Germany"),
    (450, 459, "Japan"), (460, 469, "Russia"), (471, 471, "Taiwan"), (474, 474, "Estonia"),
    (475, 475, "Latvia"), (477, 477, "Lithuania"), (479, 479, "Sri Lanka"),
    (480, 480, "Philippines"), (481, 481, "Belarus"), (482, 482, "Ukraine"),
    (484, 484, "Moldova"), (485, 485, "Armenia"), (486, 486, "Georgia"),
    (487, 487, "Kazakhstan"), (489, 489, "Hong Kong"), (490, 499, "Japan"),
    (500, 509, "United Kingdom"), (520, 521, "Greece"), (528, 528, "Lebanon"),
    (529, 529, "Cyprus"), (531, 531, "North Macedonia"), (535, 535, "Malta"),
    (539, 539, "Ireland"), (540, 549, "Belgium/Luxembourg"), (560, 560, "Portugal"),
    (569, 569, "Iceland"), (570, 579, "Denmark"), (590, 590, "Poland"), (594, 594, "Romania"),
    (599, 599, "Hungary"), (600, 601, "South Africa"), (611, 611, "Morocco"),
    (613, 613, "Algeria"), (619, 619, "Tunisia"), (622, 622, "Egypt"), (625, 625, "Jordan"),
    (626, 626, "Iran"), (628, 628, "Saudi Arabia"), (629, 629, "United Arab Emirates"),
    (640, 649, "Finland"), (690, 699, "China"), (700, 709, "Norway"), (729, 729, "Israel"),
    (730, 739, "Sweden"), (740, 740, "Guatemala"), (750, 750, "Mexico"),
    (754, 755, "Canada"), (760, 769, "Switzerland"), (770, 771, "Colombia"),
    (773, 773, "Uruguay"), (775, 775, "Peru"), (778, 779, "Argentina"), (780, 780, "Chile"),
    (784, 784, "Paraguay"), (786, 786, "Ecuador"), (789, 790, "Brazil"), (800, 839, "Italy"),
    (840, 849, "Spain"), (850, 850, "Cuba"), (858, 858, "Slovakia"), (859, 859, "Czechia"),
    (860, 860, "Serbia"), (868, 869, "Turkey"), (870, 879, "Netherlands"),
    (880, 880, "South Korea"), (885, 885, "Thailand"), (888, 888, "Singapore"),
    (890, 890, "India"), (893, 893, "Vietnam"), (896, 896, "Pakistan"), (899, 899, "Indonesia"),
    (900, 919, "Austria"), (930, 939, "Australia"), (940, 949, "New Zealand"),
    (955, 955, "Malaysia"), (958, 958, "Macau"),
]


def country(barcode: str) -> str:
    code = barcode.strip()
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return "unknown"
    if len(code) == 12:
        code = "0" + code  # UPC-A
    elif len(code) == 14:
        code = code[1:]  # GTIN-14: drop the packaging indicator
    prefix = int(code[:3])
    for lo, hi, name in GS1:
        if lo <= prefix <= hi:
            return name
    return "unknown"


def nutrition_band(p: dict) -> str:
    sugars, sat_fat, salt = p.get("sugars_100g"), p.get("saturated_fat_100g"), p.get("salt_100g")
    known = [v for v in (sugars, sat_fat, salt) if isinstance(v, (int, float))]
    if not known:
        return "unknown"
    def over(v, limit):
        return isinstance(v, (int, float)) and v > limit
    if over(sugars, 22.5) or over(sat_fat, 5) or over(salt, 1.5):
        return "red"
    if not (over(sugars, 5) or over(sat_fat, 1.5) or over(salt, 0.3)):
        return "green"
    return "amber"


def derive(p: dict) -> dict:
    p["country"] = country(str(p.get("barcode", "")))
    p["nutrition_band"] = nutrition_band(p)
    return p


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rt", encoding="utf-8") as f:
        rows = [derive(json.loads(line)) for line in f if line.strip()]
    tmp = dst + ".tmp"
    # mtime=0: the same input always gives the same bytes.
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        for r in rows:
            gz.write((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8"))
    os.replace(tmp, dst)


if __name__ == "__main__":
    main()
