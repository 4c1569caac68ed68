# N TLS handshakes at once: opens N connections concurrently (asyncio), each completes a
# handshake, sends one line and reads the reply, then closes. Counts failures by kind.
#   python3 tls_handshakes.py PORT N CA_FILE
# Prints one JSON line: {"n": N, "ok": k, "failed": f, "seconds": s, "handshakes_s": k/s, "errors": {...}}.
# Bounded: every connection gives up after 30 s.
import asyncio
import json
import ssl
import sys
import time

port, n, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
errors = {}


async def one():
    try:
        r, w = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost"), 30)
        w.write(b"hello\n")
        await w.drain()
        line = await asyncio.wait_for(r.readline(), 30)
        w.close()
        return line == b"HELLO\n" or line == b"hello\n"
    except Exception as e:  # noqa: BLE001 - counted by kind
        errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
        return False


async def main():
    t = time.monotonic()
    res = await asyncio.gather(*(one() for _ in range(n)))
    dt = time.monotonic() - t
    ok = sum(res)
    print(json.dumps({"n": n, "ok": ok, "failed": n - ok, "seconds": round(dt, 3),
                      "handshakes_s": ok / dt, "errors": errors}))


asyncio.run(main())
