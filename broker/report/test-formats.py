#!/usr/bin/python3
"""Each format of the review parsed back by a real parser, as its readers do.

  csv   Python's csv module: BOM, CRLF, Japanese intact, no formula, no control character
  json  validated against docs/report.schema.json (python3-jsonschema)
  html  well-formed XML (lxml) and HTML5 without a parse error (html5lib, strict),
        its SVG charts present, nothing fetched from anywhere
  text  no control character; every table's columns start where their dashes do,
        counting display cells (East Asian wide = 2)

  docs  every rule the report prints is in docs/report-rules.md, worded the same

usage: test-formats.py RENDER MODEL SCHEMA RULES-DOC [MORE-MODELS...]
Run with Debian's /usr/bin/python3 (the packages come from scripts/deps).
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import unicodedata

import html5lib
import jsonschema
import lxml.etree

SVG = "{http://www.w3.org/2000/svg}"
FAILED = []
CHECKED = [0]


def check(ok, what):
    CHECKED[0] += 1
    if not ok:
        FAILED.append(what)
        print("FAIL:", what)


def render(tool, fmt, lang, model, out):
    subprocess.run([tool, fmt, lang, model, out], check=True)
    with open(out, "rb") as f:
        return f.read()


def no_controls(text, what, allowed="\r\n"):
    bad = [c for c in text if (ord(c) < 0x20 and c not in allowed) or 0x7F <= ord(c) < 0xA0
           or unicodedata.category(c) == "Cf" and c != "\ufeff"]
    check(not bad, "%s: control characters %r" % (what, bad[:5]))


def check_csv(data, lang, what, fixture):
    check(data.startswith(b"\xef\xbb\xbf"), what + ": starts with a UTF-8 BOM")
    check(data.count(b"\n") == data.count(b"\r\n"), what + ": every line ends in CRLF")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    check(rows[0] == ["#kagi-report", "1", lang], what + ": first row names the layout")
    sections = {}
    current = None
    for row in rows[1:]:
        if row and row[0] == "#section":
            current = row[1]
            sections[current] = {"title": row[2], "clauses": row[3].split(), "rows": []}
        elif row and current:
            sections[current]["rows"].append(row)
    for want in ["meta", "summary", "findings", "rules", "accounts", "dormant", "factors.missing",
                 "locks", "privileged.grants", "privileged.minutes", "shared.uses", "cards.active",
                 "integrity", "series.days"]:
        check(want in sections, "%s: section %s" % (what, want))
    check(sections["privileged.grants"]["clauses"] == ["PRIV-1", "PRIV-2", "PRIV-4"],
          what + ": a section names its clauses")
    formulas = [f for row in rows for f in row if f != "-" and f.startswith(("=", "+", "-", "@"))]
    check(not formulas, "%s: fields that could be formulas: %r" % (what, formulas[:5]))
    no_controls("".join("".join(row) for row in rows), what)
    if fixture:
        summary = sections["summary"]["rows"]
        integrity = [r for r in summary if len(r) > 1 and r[1] == "LOG-3"][0]
        check(integrity[2:] == ["×"] * (len(summary[0]) - 2), what + ": integrity row × everywhere")
        names = [r[1] for r in sections["accounts"]["rows"][1:]]
        check("田中 太郎" in names and "佐藤 一郎" in names, what + ": Japanese names intact")
        check("'=HYPERLINK(\"http://x.invalid/\",\"開く\")" in names, what + ": formula kept as text")


def check_json(data, schema, what, fixture):
    doc = json.loads(data.decode("utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors[:5]:
        print("  at", "/".join(str(p) for p in e.absolute_path), ":", e.message[:200])
    check(not errors, "%s: valid against the schema (%d errors)" % (what, len(errors)))
    if fixture:
        check(doc["integrity"]["ok"] is False, what + ": integrity not ok")
        row = [c for c in doc["summary"]["checks"] if c["id"] == "audit_integrity"][0]
        check(set(row["marks"]) == {"fix"}, what + ": integrity row × everywhere")
        check(any(f["rule"] == "LOG-3.broken" for f in doc["summary"]["findings"]),
              what + ": the broken chain is a finding")


def check_rules_doc(doc, data, what):
    """The report's rules, as kagictl(8) states them (N for the dormant days)."""
    summary = json.loads(data.decode("utf-8"))["summary"]
    days = str(json.loads(data.decode("utf-8"))["meta"]["dormant_days"])
    for rule in summary["rules"]:
        text = rule["text"].replace(days, "*N*") if rule["id"].startswith("ACC-2") else rule["text"]
        check("`%s`" % rule["id"] in doc and text in doc,
              "%s: rule %s worded as the report words it in docs/report-rules.md" % (what, rule["id"]))


def check_html(data, what, fixture):
    root = lxml.etree.fromstring(data)            # raises on anything not well-formed
    parser = html5lib.HTMLParser(strict=True)
    try:
        parser.parse(data)
    except Exception as e:                          # html5lib raises ParseError on the first error
        check(False, "%s: HTML5 parse error %s" % (what, e))
    svgs = root.findall(".//" + SVG + "svg")
    check(len(svgs) >= 2, what + ": at least two inline SVG charts")
    check(all(s.find(SVG + "title") is not None for s in svgs), what + ": each chart has a title")
    check(len(root.findall(".//" + SVG + "rect")) > 10, what + ": the charts have bars")
    for tag in ["script", "link", "img", "iframe", "object", "embed"]:
        check(not root.findall(".//" + tag), "%s: no <%s>" % (what, tag))
    fetching = [(n, v) for el in root.iter() for n, v in el.attrib.items()
                if n in ("src", "href") and not v.startswith("#")]
    check(not fetching, "%s: %r fetches something" % (what, fetching[:3]))
    style = "".join(s.text or "" for s in root.iter("style"))
    check("@page{size:A4" in style and "@media print" in style, what + ": A4 print CSS")
    check("url(" not in style and "@import" not in style, what + ": CSS fetches nothing")
    text = "".join(root.itertext())
    no_controls(text, what, allowed="\n")
    if fixture:
        check("田中 太郎" in text, what + ": Japanese names intact")
        rows = [tr for tr in root.iter("tr") if tr.find("th") is not None
                and (tr.find("th").text or "") in ("監査ログの改ざん防止", "Audit log protected against tampering")]
        check(rows and all("m-fix" in td.get("class") for td in rows[0].findall("td")[1:]),
              what + ": integrity row coloured × everywhere")


def cells(s):
    """Display columns of each character: a list with one entry per cell."""
    out = []
    for c in s:
        w = 0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        out.extend([c] + [""] * (w - 1) if w else [])
    return out


def check_text(data, what):
    text = data.decode("utf-8")
    no_controls(text, what, allowed="\n")
    lines = text.split("\n")
    tables = 0
    for i, line in enumerate(lines):
        if i == 0 or not line or set(line) - {"-", " "} or "--" not in line:
            continue
        starts = [j for j in range(1, len(line)) if line[j] == "-" and line[j - 1] == " "]
        tables += 1
        misaligned = []
        for row in [lines[i - 1]] + lines[i + 1:]:
            if not row or row.startswith(("==", "-- ")):
                break
            c = cells(row)
            for s in starts:
                if len(c) <= s:
                    break
                if c[s - 1] != " " or c[s - 2] != " ":
                    misaligned.append("column at cell %d in %r" % (s, row))
                    break
        check(not misaligned, "%s: not aligned: %s" % (what, misaligned[:3]))
    check(tables >= 10, "%s: tables found (%d)" % (what, tables))


def main():
    tool, fixture, schema_path, rules_path = sys.argv[1:5]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(rules_path, encoding="utf-8") as f:
        rules_doc = f.read()
    jsonschema.Draft202012Validator.check_schema(schema)
    models = [(fixture, True)] + [(m, False) for m in sys.argv[5:]]
    with tempfile.TemporaryDirectory() as tmp:
        for model, is_fixture in models:
            for lang in ("ja", "en"):
                name = "%s %s" % (os.path.basename(model), lang)
                out = os.path.join(tmp, "out")
                check_csv(render(tool, "csv", lang, model, out), lang, name + " csv", is_fixture)
                data = render(tool, "json", lang, model, out)
                check_json(data, schema, name + " json", is_fixture)
                if is_fixture:
                    check_rules_doc(rules_doc, data, name)
                check_html(render(tool, "html", lang, model, out), name + " html", is_fixture)
                check_text(render(tool, "text", lang, model, out), name + " text")
    print("%d passed, %d failed" % (CHECKED[0] - len(FAILED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
