#!/usr/bin/python3
"""kagictl(8) states every rule of the review's summary as
docs/report-rules.md does (which test-formats.py holds to the report's own
wording), in English and in Japanese.

usage: check-man-rules.py docs/report-rules.md docs/kagictl.8
"""
import re
import sys


def plain(roff):
    """The man page's text as a reader sees it, lines joined."""
    text = re.sub(r"\\f[BIRP]", "", roff)
    text = text.replace("\\-", "-").replace("\\(em", "—").replace("\\e", "\\")
    lines = [l for l in text.split("\n") if not l.startswith(".") or l.startswith((".B ", ".BR "))]
    return " ".join(re.sub(r"^\.BR? ", "", l) for l in lines)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        rules = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        man = plain(f.read())
    missing = []
    for row in re.findall(r"^\| `([A-Z]+-[0-9]+\.[a-z-]+)` \| (.) \| (.+?) \| (.+?) \|$", rules, re.M):
        rule, mark, en, ja = (c.replace("*N*", "N") for c in row)
        for want in (rule + ' " ' + mark + '"', en, ja):
            if want not in man:
                missing.append("%s: %r" % (rule, want[:80]))
    for m in missing:
        print("kagictl(8) does not say:", m)
    print("%d rules checked, %d missing" % (len(re.findall(r"^\| `[A-Z]+-", rules, re.M)), len(missing)))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
