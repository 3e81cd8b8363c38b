#!/usr/bin/env python3
"""Keeps docs/format.md in step with libsearch/storage/format.h.

From the header (and SectionKindName in libsearch/index/index_reader.cc) it
reads the format version, the magic, the section kinds, the block flags, a few
layout constants and every fixed-layout struct (field names, types, offsets,
asserted sizes); from format.md the title, the FileHeader, SectionEntry,
TermInfoGroup and BlockInfo tables, the section table and the inline field
lists of FieldStats, TermInfoV1, Bm25ParamsRecord and DocStoreIndexEntry. Every
difference is listed; exit 1 if there is any.

Run from anywhere: python3 tests/format_doc_check.py [REPO_ROOT]"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent
HEADER = ROOT / "libsearch/storage/format.h"
NAMES = ROOT / "libsearch/index/index_reader.cc"
DOC = ROOT / "docs/format.md"

# C++ type -> (format.md spelling, size in bytes).
TYPES = {"uint8_t": ("u8", 1), "uint16_t": ("u16", 2), "uint32_t": ("u32", 4),
         "uint64_t": ("u64", 8), "float": ("f32", 4), "char": ("char", 1)}

errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


def strip_comments(text):
    return re.sub(r"//[^\n]*", "", text)


# ---------------------------------------------------------------- the header
def header_structs(src):
    """{name: [(field, doc_type, offset, size)]}, {name: asserted size}."""
    structs = {}
    for m in re.finditer(r"struct (\w+) \{(.*?)\n\};", src, re.S):
        fields, off = [], 0
        for line in strip_comments(m.group(2)).splitlines():
            f = re.match(r"\s*(\w+)\s+(\w+)(?:\[(\d+)\])?;", line)
            if not f:
                continue
            ctype, name, count = f.group(1), f.group(2), int(f.group(3) or 1)
            if ctype not in TYPES:
                errors.append(f"format.h: {m.group(1)}.{name}: unknown type {ctype}")
                continue
            spelled, size = TYPES[ctype]
            off = (off + size - 1) // size * size  # natural alignment
            fields.append((name, spelled + (f"[{count}]" if count > 1 else ""), off, size * count))
            off += size * count
        structs[m.group(1)] = fields
    asserted = {n: int(s) for n, s in re.findall(r"static_assert\(sizeof\((\w+)\) == (\d+)\)", src)}
    for name, fields in structs.items():
        total = fields[-1][2] + fields[-1][3] if fields else 0
        check(asserted.get(name) == total,
              f"format.h: {name} adds up to {total} bytes but asserts {asserted.get(name)}")
    return structs, asserted


def header_constant(src, name):
    m = re.search(rf"\b{name}\s*=\s*(0x[0-9a-fA-F]+|\d+)u?", src)
    if not m:
        errors.append(f"format.h: no constant {name}")
        return None
    return int(m.group(1), 0)


def section_kinds(src, names_src):
    """[(value, enum name, file name)] from SectionKind and SectionKindName."""
    body = re.search(r"enum class SectionKind : uint32_t \{(.*?)\};", src, re.S).group(1)
    kinds = [(int(v), k) for k, v in re.findall(r"\b(k\w+) = (\d+),", strip_comments(body))]
    names = dict(re.findall(r"case SectionKind::(k\w+):\s*return \"(\w+)\";", names_src))
    out = []
    for value, enum in kinds:
        check(enum in names, f"index_reader.cc: SectionKindName has no case for {enum}")
        out.append((value, enum, names.get(enum, "?")))
    return out


# ------------------------------------------------------------------ the doc
def table_after(doc, marker):
    """Rows (lists of cells) of the first Markdown table after the line that
    starts with `marker`."""
    lines = doc.splitlines()
    for i, line in enumerate(lines):  # noqa: B007 (i is read after the loop)
        if line.startswith(marker):
            break
    else:
        errors.append(f"format.md: no line starting with {marker!r}")
        return []
    rows, j = [], i + 1
    while j < len(lines) and not lines[j].startswith("|"):
        j += 1
    while j < len(lines) and lines[j].startswith("|"):
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", lines[j])[1:-1]]
        if not all(re.fullmatch(r":?-+:?", c) for c in cells):
            rows.append(cells)
        j += 1
    return rows[1:]  # without the header row


def plain(cell):
    return cell.strip("`").split(" ")[0].strip("`")


def compare_table(struct, fields, rows, with_offset):
    """rows: (offset, type, field, ...) if with_offset else (type, field, ...)."""
    doc = []
    for r in rows:
        if with_offset:
            doc.append((plain(r[2]), r[1], int(r[0])))
        else:
            doc.append((plain(r[1]), r[0], None))
    want = [(n, t, o if with_offset else None) for n, t, o, _ in fields]
    check(doc == want, f"format.md: the {struct} table lists {doc}, format.h has {want}")


def compare_inline(struct, fields, text, zero_reserved=True):
    """`text` lists the struct as 'type name, type name, ...' (a reserved
    field written as 'u32 0')."""
    found = re.findall(r"\b(u8|u16|u32|u64|f32)\s+(\w+)", text)
    want = [(t, "0" if zero_reserved and n == "reserved" else n) for n, t, _, _ in fields]
    check(found == want, f"format.md: {struct} is listed as {found}, format.h has {want}")


def doc_row(rows, kind):
    for r in rows:
        if r[0] == str(kind):
            return r
    return None


def main():
    src = HEADER.read_text(encoding="utf-8")
    names_src = NAMES.read_text(encoding="utf-8")
    doc = DOC.read_text(encoding="utf-8")
    structs, asserted = header_structs(src)

    # Version and magic.
    major, minor = header_constant(src, "kFormatMajor"), header_constant(src, "kFormatMinor")
    title = re.search(r"^# .*version (\d+)\.(\d+)", doc, re.M)
    check(title and (int(title.group(1)), int(title.group(2))) == (major, minor),
          f"format.md: title version {title and title.group(0)!r}, format.h {major}.{minor}")
    magic = "".join(re.findall(r"'(\w)'", re.search(r"kMagic\[8\] = \{(.*?)\}", src).group(1)))

    # FileHeader and SectionEntry: offset, type, field.
    for struct in ("FileHeader", "SectionEntry"):
        heading = f"## {struct} ({asserted[struct]} bytes)"
        check(heading in doc, f"format.md: no heading {heading!r}")
        compare_table(struct, structs[struct], table_after(doc, f"## {struct}"), with_offset=True)
    rows = table_after(doc, "## FileHeader")
    byname = {plain(r[2]): r[3] for r in rows}
    check(f"`{magic}`" in byname.get("magic", ""), f"format.md: magic is not `{magic}`")
    check(byname.get("format_major", "").startswith(f"{major}."), "format.md: format_major value")
    check(byname.get("format_minor", "").startswith(f"{minor} "), "format.md: format_minor value")
    check(byname.get("header_size", "") == str(asserted["FileHeader"]), "format.md: header_size value")

    # Tables with type, field (TermInfoGroup, BlockInfo).
    compare_table("TermInfoGroup", structs["TermInfoGroup"], table_after(doc, "`TermInfoGroup`:"), False)
    compare_table("BlockInfo", structs["BlockInfo"], table_after(doc, f"`BlockInfo` ({asserted['BlockInfo']} bytes):"), False)
    check(f"`TermInfoGroup[ceil(num_terms / {header_constant(src, 'kTermsPerInfoGroup')})]` "
          f"({asserted['TermInfoGroup']} bytes each)" in doc, "format.md: the TermInfoGroup array line")

    # Section kinds: every kind once, with its number and name.
    kinds = section_kinds(src, names_src)
    rows = table_after(doc, "## Sections")
    doc_kinds = sorted((int(r[0]), re.sub(r" \(1\.x\)$", "", r[1])) for r in rows)
    want = sorted((v, n) for v, _, n in kinds)
    check(doc_kinds == want, "format.md: the section table lists kinds "
          f"{sorted(set(doc_kinds) ^ set(want))} differently from format.h")
    check(header_constant(src, "kNumSectionKinds") == max(v for v, _, _ in kinds) + 1,
          "format.h: kNumSectionKinds is not the largest kind + 1")
    for value, enum, _ in kinds:  # the 1.x-only kinds say so in both
        hdr_1x = re.search(rf"\b{enum} = {value},\s*// 1\.x", src) is not None
        r = doc_row(rows, value)
        if r:
            check(hdr_1x == ("1.x files only" in r[3]),
                  f"format.md: kind {value} ({enum}) is 1.x-only in one of the two only")

    # Structs described inline in the section table or the prose.
    compare_inline("FieldStats", structs["FieldStats"], doc_row(rows, 2)[3])
    check(f"`FieldStats[num_fields]` ({asserted['FieldStats']} bytes each)" in doc_row(rows, 2)[3],
          "format.md: field_stats row does not give FieldStats' size")
    compare_inline("DocStoreIndexEntry", structs["DocStoreIndexEntry"], doc_row(rows, 13)[3])
    check(f"`DocStoreIndexEntry` ({asserted['DocStoreIndexEntry']} bytes)" in doc_row(rows, 13)[3],
          "format.md: docstore_index row does not give DocStoreIndexEntry's size")
    compare_inline("Bm25ParamsRecord", structs["Bm25ParamsRecord"], doc_row(rows, 23)[3].split("—")[0])
    check(f"scoring arithmetic ({header_constant(src, 'kScoringVersion')})" in doc_row(rows, 23)[3],
          "format.md: bm25_params row does not give kScoringVersion")
    v1 = re.search(r"`TermInfoV1` \(1\.x files, (\d+) bytes\): (.*?)\.\n", doc, re.S)
    check(v1 is not None, "format.md: no `TermInfoV1` (1.x files, N bytes) paragraph")
    if v1:
        check(int(v1.group(1)) == asserted["TermInfoV1"], "format.md: TermInfoV1 size")
        compare_inline("TermInfoV1", structs["TermInfoV1"], re.sub(r"\([^)]*\)", "", v1.group(2)))

    # Block flags and layout constants.
    flags = {header_constant(src, k): w for k, w in
             (("kBlockPacked", "packed"), ("kBlockVarint", "varint"), ("kBlockBitmap", "bitmap"))}
    flags_row = [r for r in table_after(doc, f"`BlockInfo` ({asserted['BlockInfo']} bytes):") if plain(r[1]) == "flags"]
    for value, word in flags.items():
        check(bool(flags_row) and f"{value} = {word}" in flags_row[0][2],
              f"format.md: BlockInfo flags do not say {value} = {word}")
    align = header_constant(src, "kSectionAlignment")
    check(f"multiple of {align}" in doc, f"format.md: section alignment {align} not stated")
    check(f"| {header_constant(src, 'kPrefixFieldBit'):#010x} " in doc.replace("0x40000000", "0x40000000 "),
          "format.md: kPrefixFieldBit not stated")
    check(f"{header_constant(src, 'kNoField'):#010X}".replace("0X", "0x") in doc, "format.md: kNoField not stated")
    check(f"per block of {header_constant(src, 'kNumericBlockDocs')} docs" in doc_row(rows, 19)[3],
          "format.md: numeric_blocks block size")
    check(f"`words ≤ {header_constant(src, 'kMaxBitmapWords')}`" in doc, "format.md: kMaxBitmapWords")
    check(f"`8 · words ≤ 16 · w + {header_constant(src, 'kBitmapSlackBytes')}`" in doc,
          "format.md: kBitmapSlackBytes")

    for e in errors:
        print(e)
    print(f"format_doc_check: {len(errors)} differences between format.h and format.md")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
