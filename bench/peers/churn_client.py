# A Python client doing what `socklab bench tcp --mode churn` does against the tutorial's
# threaded hello server: connect, send NAME, read until "hello, NAME!" (after the server's
# "welcome!"), close; again and again for SECS seconds, on THREADS threads (one connection
# each at a time, as `--connections THREADS`).
#   python3 churn_client.py PORT SECS [THREADS]
# Prints one JSON line: {"cycles": N, "seconds": S, "per_s": N/S, "failures": F}.
import json
import socket
import sys
import threading
import time

port = int(sys.argv[1])
secs = float(sys.argv[2])
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
end = time.monotonic() + secs
counts = [0] * threads
fails = [0] * threads


def worker(i):
    while time.monotonic() < end:
        try:
            s = socket.create_connection(('127.0.0.1', port), timeout=2)
            s.sendall(b'bob')
            got = b''
            while b'hello, bob!' not in got:
                d = s.recv(1024)
                if not d:
                    break
                got += d
            s.close()
            if b'hello, bob!' in got:
                counts[i] += 1
            else:
                fails[i] += 1
        except OSError:
            fails[i] += 1


start = time.monotonic()
ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
took = time.monotonic() - start
print(json.dumps({"cycles": sum(counts), "seconds": took, "per_s": sum(counts) / took, "failures": sum(fails)}))
