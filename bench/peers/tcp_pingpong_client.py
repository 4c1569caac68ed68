# TCP round-trip client: one connection, N round trips of SIZE bytes to an echo server (send,
# then read until SIZE bytes are back), one at a time.
#   python3 tcp_pingpong_client.py PORT N [SIZE] [TIMEOUT_S]
# Prints one JSON line: {"round_trips": done, "p50_us": ..., "p99_us": ..., "min_us": ...}.
# Bounded: at most N round trips and TIMEOUT_S seconds (default 60); a blocking read waits at
# most 5 s.
import json
import socket
import sys
import time

port = int(sys.argv[1])
n = int(sys.argv[2])
size = int(sys.argv[3]) if len(sys.argv) > 3 else 64
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
msg = b"p" * size
rtts = []
end = time.monotonic() + timeout
warm = min(100, n // 10)
try:
    for i in range(n + warm):
        if time.monotonic() > end:
            break
        t0 = time.perf_counter_ns()
        s.sendall(msg)
        got = 0
        while got < size:
            data = s.recv(size - got)
            if not data:
                raise OSError("closed")
            got += len(data)
        if i >= warm:
            rtts.append((time.perf_counter_ns() - t0) / 1000.0)
except OSError as e:
    print("tcp_pingpong_client: %s" % e, file=sys.stderr)
s.close()
rtts.sort()


def pct(p):
    return round(rtts[min(len(rtts) - 1, int(len(rtts) * p))], 1) if rtts else None


print(json.dumps({"round_trips": len(rtts), "p50_us": pct(0.5), "p99_us": pct(0.99),
                  "min_us": round(rtts[0], 1) if rtts else None}), flush=True)
