# TCP throughput client: one connection, 64 KiB writes for SECONDS, counting the bytes that
# come back from an echo server (a writer thread and a reader thread, blocking sockets).
#   python3 tcp_echo_client.py PORT SECONDS [CHUNK]
# Prints one JSON line: {"sent": bytes, "echoed": bytes, "seconds": s, "mib_s": echoed MiB/s}.
# Bounded: the writer stops at SECONDS; the reader waits at most 10 s more for the echo.
import json
import socket
import sys
import threading
import time

port = int(sys.argv[1])
seconds = float(sys.argv[2])
chunk = int(sys.argv[3]) if len(sys.argv) > 3 else 65536
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
payload = b"x" * chunk
sent = 0
echoed = 0
start = time.monotonic()
end = start + seconds


def writer():
    global sent
    try:
        while time.monotonic() < end:
            s.sendall(payload)
            sent += len(payload)
    except OSError:
        pass


t = threading.Thread(target=writer, daemon=True)
t.start()
last = start
try:
    while True:
        if time.monotonic() > end + 10:
            break
        if not t.is_alive() and echoed >= sent:
            break
        data = s.recv(1 << 20)
        if not data:
            break
        echoed += len(data)
        last = time.monotonic()
except OSError:
    pass
elapsed = last - start
print(json.dumps({"sent": sent, "echoed": echoed, "seconds": round(elapsed, 4),
                  "mib_s": round(echoed / elapsed / (1 << 20), 1) if elapsed > 0 else 0}), flush=True)
s.close()
