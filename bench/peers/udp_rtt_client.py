# UDP round-trip client for echo servers: one datagram out, wait for its reply, repeat. With
# several ports it takes them in turn, one round trip each, so every server is measured under
# the same conditions (on a shared machine the load changes from second to second).
#   python3 udp_rtt_client.py PORT[,PORT...] SECONDS [SIZE] [WARMUP_S]
# Works with a plain echo (SockLab's --reply echo, the tutorial's echo) and with `sockperf sr`:
# every datagram carries sockperf's 14-byte header (sequence number, flags = client|pong-request,
# length), which sockperf's server answers and a plain echo sends back as it is. (`sockperf pp`
# cannot measure a plain echo: it drops replies whose client flag is still set.)
# Prints one JSON line: for each port the round-trip times in microseconds (p50, p99, min, max,
# mean), the round trips recorded and the datagrams lost (no reply in 200 ms). Bounded: at most
# WARMUP_S (default 0.3) + SECONDS + 0.2 s per lost datagram, and 5,000,000 round trips.
import json
import socket
import struct
import sys
import time

ports = [int(p) for p in sys.argv[1].split(",")]
seconds = float(sys.argv[2])
size = int(sys.argv[3]) if len(sys.argv) > 3 else 64
warmup = float(sys.argv[4]) if len(sys.argv) > 4 else 0.3
HEADER = struct.Struct(">QHI")  # sockperf: sequence number, flags, length (packed, big-endian)
SEQ = struct.Struct(">Q")
CLIENT_PONG = 1 | 2

socks = []
for port in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(0.2)
    socks.append(s)
msg = bytearray(max(size, HEADER.size))
now, pack, unpack = time.perf_counter_ns, HEADER.pack_into, SEQ.unpack_from
samples = [[] for _ in ports]
lost = [0 for _ in ports]
seq = 0
start = time.monotonic()
record_from = start + warmup
end = record_from + seconds
total = 0
while total < 5_000_000 and time.monotonic() < end:
    for i, s in enumerate(socks):
        seq += 1
        pack(msg, 0, seq, CLIENT_PONG, len(msg))
        t0 = now()
        s.send(msg)
        try:
            while True:
                r = s.recv(65536)
                if len(r) >= 8 and unpack(r)[0] == seq:
                    break
        except socket.timeout:
            lost[i] += 1
            continue
        t1 = now()
        if time.monotonic() >= record_from:
            samples[i].append(t1 - t0)
            total += 1


def stats(v, lost):
    v.sort()
    n = len(v)

    def pct(p):
        return round(v[min(n - 1, int(p / 100.0 * n))] / 1000.0, 2) if n else None

    return {"round_trips": n, "lost": lost, "p50_us": pct(50), "p99_us": pct(99), "min_us": pct(0),
            "max_us": round(v[-1] / 1000.0, 2) if n else None,
            "mean_us": round(sum(v) / n / 1000.0, 2) if n else None}


print(json.dumps({str(p): stats(samples[i], lost[i]) for i, p in enumerate(ports)}), flush=True)
