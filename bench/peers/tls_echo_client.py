# TLS throughput client: one TLS connection, 64 KiB writes for SECONDS, counting the bytes that
# come back decrypted from a TLS echo server. One thread, non-blocking, select(): it writes while
# the socket takes data and reads whatever comes back, so neither side waits on the other.
#   python3 tls_echo_client.py PORT SECONDS CA_FILE [CHUNK]
# Prints one JSON line: {"sent": bytes, "echoed": bytes, "seconds": s, "mib_s": echoed MiB/s}.
# Bounded: writing stops at SECONDS; reading waits at most 10 s more for the echo.
import json
import select
import socket
import ssl
import sys
import time

port = int(sys.argv[1])
seconds = float(sys.argv[2])
ca = sys.argv[3]
chunk = int(sys.argv[4]) if len(sys.argv) > 4 else 65536
ctx = ssl.create_default_context(cafile=ca)
raw = socket.create_connection(("127.0.0.1", port), timeout=10)
raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s = ctx.wrap_socket(raw, server_hostname="localhost")
s.setblocking(False)
payload = b"x" * chunk
view = memoryview(payload)
pos = 0
sent = echoed = 0
start = time.monotonic()
end = start + seconds
last = start
while True:
    now = time.monotonic()
    writing = now < end
    if not writing and (echoed >= sent or now > end + 10):
        break
    r, w, _ = select.select([s], [s] if writing else [], [], 0.5)
    if w:
        try:
            n = s.send(view[pos:])
            sent += n
            pos = (pos + n) % chunk
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            pass
    if r or s.pending():
        try:
            while True:
                data = s.recv(1 << 20)
                if not data:
                    break
                echoed += len(data)
                last = time.monotonic()
                if not s.pending():
                    break
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            pass
elapsed = max(last - start, 1e-9)
print(json.dumps({"sent": sent, "echoed": echoed, "seconds": round(elapsed, 3), "mib_s": echoed / elapsed / (1 << 20)}))
