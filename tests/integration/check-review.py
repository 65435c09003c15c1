#!/usr/bin/python3
"""The review kagictl wrote for test_review.c, each format parsed back by a
real parser: the checks of broker/report/test-formats.py (csv module: BOM,
CRLF, no formula; JSON against docs/report.schema.json; HTML well-formed as
XML and HTML5, its SVG charts present, nothing fetched; text aligned by
display cells), then what the story put in it, Japanese intact.

usage: check-review.py TEST-FORMATS.py SCHEMA DIR   (DIR/review.LANG.FORMAT)
Run with Debian's /usr/bin/python3 (the packages come from scripts/deps).
"""
import csv
import importlib.util
import io
import json
import os
import sys


def load(path):
    spec = importlib.util.spec_from_file_location("test_formats", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def csv_sections(data):
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True))
    sections, current = {}, None
    for row in rows[1:]:
        if row and row[0] == "#section":
            current = row[1]
            sections[current] = {"title": row[2], "rows": []}
        elif row and current:
            sections[current]["rows"].append(row)
    return sections


def main():
    tf = load(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        schema = json.load(f)
    folder = sys.argv[3]
    check = tf.check
    for lang in ("ja", "en"):
        def read(fmt):
            with open(os.path.join(folder, "review.%s.%s" % (lang, fmt)), "rb") as f:
                return f.read()
        name = "review " + lang

        data = read("csv")
        tf.check_csv(data, lang, name + " csv", False)
        sections = csv_sections(data)
        accounts = sections["accounts"]["rows"]
        check(any("田中 花子" in row for row in accounts), name + " csv: alice's Japanese name intact")
        check(any("frank" in row for row in sections["locks"]["rows"]), name + " csv: frank's lock")
        check(any("LOG-3" in row and "○" in row for row in sections["summary"]["rows"]),
              name + " csv: the intact chain is ○")
        # PRIV-1 △ dave's unused role, PRIV-2 △ the break-glass, PRIV-4 × the
        # overrun, SID-1 × the use nobody was named for
        for clause, want in (("PRIV-1", "△"), ("PRIV-2", "△"), ("PRIV-4", "×"), ("SID-1", "×")):
            check(any(clause in row and want in row for row in sections["summary"]["rows"]),
                  name + " csv: %s is %s" % (clause, want))
        check(len(sections["privileged.grants"]["rows"]) == 1 + 4, name + " csv: four grants")
        check(any("dave" in row for row in sections["privileged.holders"]["rows"]), name + " csv: dave holds ops")
        check(len(sections["shared.uses"]["rows"]) == 1 + 3, name + " csv: three uses of the shared ID")
        check(any("dave" in row for row in sections["shared.refusals"]["rows"]), name + " csv: dave refused")
        if lang == "ja":
            check(sections["accounts"]["title"] != "accounts" and not sections["accounts"]["title"].isascii(),
                  name + " csv: Japanese section titles")

        data = read("json")
        tf.check_json(data, schema, name + " json", False)
        doc = json.loads(data.decode("utf-8"))
        check(doc["meta"]["language"] == lang, name + " json: meta.language is --lang")
        check(any(a.get("display_name") == "田中 花子" for a in doc["accounts"]["items"]),
              name + " json: alice's Japanese name intact")
        check(all("secret" not in json.dumps(a) for a in doc["accounts"]["items"]), name + " json: no secret")

        check([g["end"] for g in doc["privileged"]["grants"]] == ["expired", "ended", "active", "lapsed"],
              name + " json: how each grant ended")
        check([u.get("person") for u in doc["shared"]["uses"]] == [None, "alice", "alice"],
              name + " json: who used the shared ID")

        data = read("html")
        tf.check_html(data, name + " html", False)
        check("田中 花子".encode() in data, name + " html: alice's Japanese name intact")
        check(b"PRIV-4" in data and b"madoguchi01" in data, name + " html: the privileged and shared sections")

        data = read("text")
        tf.check_text(data, name + " text")
        check("田中 花子" in data.decode("utf-8"), name + " text: alice's Japanese name intact")
    print("%d passed, %d failed" % (tf.CHECKED[0] - len(tf.FAILED), len(tf.FAILED)))
    return 1 if tf.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
