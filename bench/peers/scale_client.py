# Load client for the TCP scale benchmark: N concurrent loopback clients of a hello server.
#   python3 scale_client.py PORT N [IN_FLIGHT] [TIMEOUT_S]
# Each client connects, reads "welcome!", sends its name (c00001, ...), reads "hello, NAME!" and
# then stays connected. At most IN_FLIGHT clients are between connect and reply at once (the
# rest wait their turn), so the server's accept queue is not flooded all at once. One thread,
# non-blocking sockets and selectors; everything is bounded by TIMEOUT_S (default 120 s).
# Prints one JSON line when every client was served (or failed, or time ran out):
#   {"clients": N, "served": S, "failures": F, "errors": {...}, "connect_s": ..., "serve_s": ...}
# then waits for a line on stdin (the harness measures the server meanwhile; at most 120 s) and
# closes every connection.
import errno
import json
import resource
import selectors
import socket
import sys
import time

port = int(sys.argv[1])
n = int(sys.argv[2])
in_flight = int(sys.argv[3]) if len(sys.argv) > 3 else 500
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = n + 64
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    if min(want, hard) < want:
        print("scale_client: RLIMIT_NOFILE hard limit %d is below %d" % (hard, want), file=sys.stderr)

WELCOME = b"welcome!"
sel = selectors.DefaultSelector()
errors = {}
served = []          # sockets that got their reply and stay open
failures = 0
next_client = 0
active = 0
last_connected = None
last_served = None
start = time.monotonic()
deadline = start + timeout


def fail(sock, why):
    global failures, active
    failures += 1
    active -= 1
    errors[why] = errors.get(why, 0) + 1
    try:
        sel.unregister(sock)
    except (KeyError, ValueError):
        pass
    sock.close()


def start_one():
    global next_client, active
    i = next_client
    next_client += 1
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    name = ("c%05d" % i).encode()
    state = {"name": name, "step": "connect", "buf": b""}
    active += 1
    r = s.connect_ex(("127.0.0.1", port))
    if r not in (0, errno.EINPROGRESS):
        fail(s, errno.errorcode.get(r, str(r)))
        return
    sel.register(s, selectors.EVENT_WRITE, state)


while (next_client < n or active > 0) and time.monotonic() < deadline:
    while next_client < n and active < in_flight:
        start_one()
    for key, mask in sel.select(timeout=0.5):
        s, st = key.fileobj, key.data
        if st["step"] == "connect":
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                fail(s, "connect: " + errno.errorcode.get(err, str(err)))
                continue
            last_connected = time.monotonic()
            st["step"] = "welcome"
            sel.modify(s, selectors.EVENT_READ, st)
            continue
        try:
            data = s.recv(4096)
        except OSError as e:
            fail(s, "recv: " + (errno.errorcode.get(e.errno, str(e.errno))))
            continue
        if not data:
            fail(s, "closed by server during " + st["step"])
            continue
        st["buf"] += data
        if st["step"] == "welcome" and len(st["buf"]) >= len(WELCOME):
            if not st["buf"].startswith(WELCOME):
                fail(s, "bad welcome")
                continue
            st["buf"] = st["buf"][len(WELCOME):]
            st["step"] = "reply"
            try:
                s.send(st["name"])
            except OSError as e:
                fail(s, "send: " + (errno.errorcode.get(e.errno, str(e.errno))))
                continue
        if st["step"] == "reply":
            want_reply = b"hello, " + st["name"] + b"!"
            if len(st["buf"]) >= len(want_reply):
                if st["buf"][:len(want_reply)] != want_reply:
                    fail(s, "bad reply")
                    continue
                sel.unregister(s)
                served.append(s)
                active -= 1
                last_served = time.monotonic()

left = (n - next_client) + active
if left:
    errors["not served in %.0f s" % timeout] = left
    failures += left
result = {
    "clients": n,
    "served": len(served),
    "failures": failures,
    "errors": errors,
    "connect_s": round((last_connected or start) - start, 4),
    "serve_s": round((last_served or start) - start, 4),
}
print(json.dumps(result), flush=True)
# Stay connected while the harness looks at the server, then close everything.
sel.close()
import select
select.select([sys.stdin], [], [], 120)
for s in served:
    s.close()
