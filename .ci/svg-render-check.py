#!/usr/bin/env python3
"""Render the comparison chart in headless Chromium and check what it drew.

    python3 .ci/svg-render-check.py target/compare-latency.svg

Fails unless the browser produced a PNG in which both arms' colours
(#4C72B0 standard, #DD8452 optimized) cover a fair number of pixels in both
panels (time to first token on the left half, total time on the right), and
the hedged arm's (#8172B3) too when the chart has one: a blank, cut or
broken render fails. PNG decoding is done here with zlib only.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


def decode_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def count_near(rows, bpp, rgb, tol=40):
    n = 0
    for row in rows:
        for x in range(0, len(row), bpp):
            if all(abs(row[x + k] - rgb[k]) <= tol for k in range(3)):
                n += 1
    return n


def main():
    svg = os.path.abspath(sys.argv[1])
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        sys.exit("chromium is not installed (.ci/run installs it)")
    with tempfile.TemporaryDirectory() as d:
        png = os.path.join(d, "chart.png")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={d}/profile", "--window-size=980,420", f"--screenshot={png}",
                        f"file://{svg}"], check=True, capture_output=True, timeout=120)
        with open(png, "rb") as f:
            width, height, bpp, rows = decode_png(f.read())
    half = width * bpp // 2
    left = [r[:half] for r in rows]
    right = [r[half:] for r in rows]
    counts = {}
    for name, rgb in (("standard", (0x4C, 0x72, 0xB0)), ("optimized", (0xDD, 0x84, 0x52)), ("hedged", (0x81, 0x72, 0xB3))):
        counts[name] = (count_near(left, bpp, rgb, tol=24), count_near(right, bpp, rgb, tol=24))
    dark = count_near(rows, bpp, (0, 0, 0), tol=90)
    print(f"rendered {width}x{height}: (left, right) px per arm colour {counts}, text-ish px {dark}")
    with open(svg) as f:
        has_hedged = "#8172B3" in f.read()
    wanted = ["standard", "optimized"] + (["hedged"] if has_hedged else [])
    if any(min(counts[a]) < 40 for a in wanted) or dark < 500:
        sys.exit("the chart did not render as expected")


if __name__ == "__main__":
    main()
