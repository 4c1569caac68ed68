#!/usr/bin/env python3
"""Draws SockLab's icon (assets/socklab.png, 256x256 RGBA) with the standard library only:
two sockets on a dark rounded square, a green datagram going one way and a blue one coming back.
Run from the repository root: python3 assets/make_icon.py"""
import math, struct, zlib

N = 256
px = [[(0, 0, 0, 0)] * N for _ in range(N)]

def blend(x, y, rgb, a):
    if not (0 <= x < N and 0 <= y < N) or a <= 0:
        return
    r0, g0, b0, a0 = px[y][x]
    a = min(1.0, a)
    na = a + a0 / 255 * (1 - a)
    if na == 0:
        return
    mix = lambda c0, c1: int((c1 * a + c0 * (a0 / 255) * (1 - a)) / na)
    px[y][x] = (mix(r0, rgb[0]), mix(g0, rgb[1]), mix(b0, rgb[2]), int(na * 255))

def coverage(d):  # signed distance -> anti-aliased coverage
    return max(0.0, min(1.0, 0.5 - d))

# Rounded square with a vertical gradient.
R, M = 48, 8
for y in range(N):
    for x in range(N):
        cx = min(max(x + 0.5, M + R), N - M - R)
        cy = min(max(y + 0.5, M + R), N - M - R)
        d = math.hypot(x + 0.5 - cx, y + 0.5 - cy) - R
        t = y / N
        blend(x, y, (int(24 + 20 * t), int(38 + 30 * t), int(72 + 40 * t)), coverage(d))

def disc(cx, cy, r, rgb):
    for y in range(int(cy - r - 2), int(cy + r + 2)):
        for x in range(int(cx - r - 2), int(cx + r + 2)):
            blend(x, y, rgb, coverage(math.hypot(x + 0.5 - cx, y + 0.5 - cy) - r))

def segment(x0, y0, x1, y1, w, rgb):
    for y in range(int(min(y0, y1) - w - 2), int(max(y0, y1) + w + 2)):
        for x in range(int(min(x0, x1) - w - 2), int(max(x0, x1) + w + 2)):
            px_, py_ = x + 0.5, y + 0.5
            dx, dy = x1 - x0, y1 - y0
            t = max(0, min(1, ((px_ - x0) * dx + (py_ - y0) * dy) / (dx * dx + dy * dy)))
            d = math.hypot(px_ - (x0 + t * dx), py_ - (y0 + t * dy)) - w / 2
            blend(x, y, rgb, coverage(d))

def arrow(x0, y, x1, rgb):
    segment(x0, y, x1, y, 14, rgb)
    s = 1 if x1 > x0 else -1
    segment(x1, y, x1 - s * 26, y - 24, 14, rgb)
    segment(x1, y, x1 - s * 26, y + 24, 14, rgb)

WHITE, GREEN, BLUE = (240, 244, 250), (70, 200, 110), (90, 150, 240)
for cx in (58, 198):
    disc(cx, 128, 30, WHITE)
    disc(cx, 128, 14, (40, 60, 100))
arrow(100, 96, 158, GREEN)
arrow(156, 160, 98, BLUE)

raw = b"".join(b"\x00" + bytes(c for p in row for c in p) for row in px)
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
open("assets/socklab.png", "wb").write(png)
