#!/usr/bin/env python3
"""Fail when a dependency can only be used under a GPL-family license.

Reads `cargo metadata` (all features, all targets) and checks each package's
SPDX expression: a package passes when at least one alternative of its
`OR` expression is free of GPL, AGPL and LGPL. Packages with no `license`
field (only `license-file`) fail too: someone must read them.

    python3 .ci/license-check.py             # check this workspace
    python3 .ci/license-check.py --self-test # prove the check can fail
"""
import json
import re
import subprocess
import sys

COPYLEFT = re.compile(r"\b(A|L)?GPL", re.IGNORECASE)


def acceptable(expr):
    if not expr:
        return False
    alternatives = re.split(r"\s+OR\s+|/", expr.replace("(", " ").replace(")", " "))
    return any(alt.strip() and not COPYLEFT.search(alt) for alt in alternatives)


def problems(metadata):
    bad = []
    for pkg in metadata["packages"]:
        if pkg.get("source") is None and pkg["name"] == "bedrock-latency":
            continue
        lic = pkg.get("license")
        if not acceptable(lic):
            bad.append(f"{pkg['name']} {pkg['version']}: {lic or 'no SPDX license (license-file only)'}")
    return bad


def self_test():
    fake = {"packages": [
        {"name": "ok", "version": "1", "license": "MIT OR Apache-2.0", "source": "registry"},
        {"name": "dual", "version": "1", "license": "GPL-3.0 OR MIT", "source": "registry"},
        {"name": "gpl", "version": "1", "license": "GPL-3.0-only", "source": "registry"},
        {"name": "agpl", "version": "1", "license": "AGPL-3.0-or-later", "source": "registry"},
        {"name": "none", "version": "1", "license": None, "source": "registry"},
    ]}
    got = sorted(p.split()[0] for p in problems(fake))
    assert got == ["agpl", "gpl", "none"], got
    print("license-check self-test: ok")


def main():
    if "--self-test" in sys.argv:
        self_test()
        return 0
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--all-features", "--locked"],
        check=True, capture_output=True, text=True,
    ).stdout
    meta = json.loads(out)
    bad = problems(meta)
    if bad:
        print("dependencies under GPL-family licenses only:", *bad, sep="\n  ")
        return 1
    print(f"license check: {len(meta['packages'])} packages, none GPL/AGPL-only")
    return 0


if __name__ == "__main__":
    sys.exit(main())
