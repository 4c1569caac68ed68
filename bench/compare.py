#!/usr/bin/env python3
"""SockLab against peers it did not write, on loopback, in one run: writes docs/benchmarks.md.

Run through bench/compare (it installs the peers and builds the release binary first):

    bench/compare            # every measurement 3 times (min / median / max), about 15 min
    bench/compare --quick    # once each, smaller counts, about 3 min (for development)

Traffic goes to 127.0.0.1 only, on ports 21000-29999 (and the ephemeral ports the kernel gives
clients). Every load loop is bounded in count and time; every process started here is ended
here, by its own id.
"""

import argparse
import datetime
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
PY = sys.executable or "python3"

# ---------------------------------------------------------------------------------------------
# Processes: everything started here is remembered and ended by its id.

STARTED = []


def start(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=None):
    p = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, stdin=stdin, env=env, start_new_session=True)
    STARTED.append(p)
    return p


def signal_group(p, sig):
    """Signals the process and what it forked (socat's children): each process started here
    leads its own process group (start_new_session), so the group id is its own id."""
    try:
        os.killpg(p.pid, sig)
    except ProcessLookupError:
        pass


def stop(p, sig=signal.SIGINT, timeout=10.0):
    """Sends `sig` to the process, waits up to `timeout`, then kills its process group. Returns
    the exit code."""
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            signal_group(p, signal.SIGKILL)
            p.wait(5)
    # A forked child (socat ... fork) may outlive its parent: end the group.
    signal_group(p, signal.SIGTERM)
    if p in STARTED:
        STARTED.remove(p)
    return p.returncode


def cleanup(*_):
    for p in list(STARTED):
        try:
            signal_group(p, signal.SIGKILL)
            if p.poll() is None:
                p.wait(5)
        except Exception:
            pass
    STARTED.clear()


def run(cmd, timeout, **kw):
    """Runs a command to its end (bounded by `timeout`); returns (exit code, stdout + stderr)."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"") + (e.stderr or b"")
        return None, out.decode(errors="replace") if isinstance(out, bytes) else out


# ---------------------------------------------------------------------------------------------
# Ports and the kernel's view of sockets.

_next_port = [21000]


def free_port():
    """A port below 32768 that is free for TCP and UDP on 127.0.0.1; never the same twice."""
    while _next_port[0] < 30000:
        port = _next_port[0]
        _next_port[0] += 1
        ok = True
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return port
    raise RuntimeError("no free port in 21000-29999")


def shown(cmd, port):
    """A command line for the report: the port as PORT, paths relative to the checkout."""
    out = []
    for c in cmd:
        c = str(c).replace(str(ROOT) + "/", "")
        if c == PY:
            c = "python3"
        if c == BIN:
            c = "socklab"
        out.append(re.sub(r"\b%d\b" % port, "PORT", c) if port else c)
    return out


def proc_net(path, port):
    """The /proc/net/{udp,tcp} line fields of the socket bound to 127.0.0.1:port (or None)."""
    want = "0100007F:%04X" % port
    try:
        with open(path) as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[1] == want:
                    return fields
    except OSError:
        pass
    return None


def udp_queue_and_drops(port):
    """(bytes waiting in the receive queue, datagrams the kernel dropped) for a UDP socket."""
    f = proc_net("/proc/net/udp", port)
    if not f:
        return None, None
    rx_queue = int(f[4].split(":")[1], 16)
    return rx_queue, int(f[12])


def wait_until(cond, timeout, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def wait_udp_bound(port, timeout=10):
    return wait_until(lambda: proc_net("/proc/net/udp", port) is not None, timeout)


def wait_tcp_listening(port, timeout=10):
    return wait_until(lambda: (proc_net("/proc/net/tcp", port) or [None] * 4)[3] == "0A", timeout)


def vm_status(pid, key):
    """A /proc/PID/status value in MiB (VmRSS, VmHWM) or as a number (Threads)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    v = int(line.split()[1])
                    return v / 1024.0 if line.strip().endswith("kB") else v
    except OSError:
        pass
    return None


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


# ---------------------------------------------------------------------------------------------
# Results.


def mmm(values):
    """(min, median, max) of the values that exist."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    return (min(v), statistics.median(v), max(v))


class Results:
    def __init__(self):
        self.data = {}      # key -> list of values, one per repetition
        self.notes = {}     # key -> list of strings
        self.commands = []  # (what, command line)

    def add(self, key, value):
        self.data.setdefault(key, []).append(value)

    def note(self, key, text):
        self.notes.setdefault(key, []).append(text)

    def command(self, what, cmd):
        line = " ".join(str(c) for c in cmd)
        line = line.replace(str(ROOT) + "/", "")
        if (what, line) not in self.commands:
            self.commands.append((what, line))

    def get(self, key):
        return mmm(self.data.get(key, []))


R = Results()


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def have(tool):
    return shutil.which(tool) is not None


# ---------------------------------------------------------------------------------------------
# UDP receive: the highest rate with zero loss.


def sockperf_send(port, size, rate, secs):
    """sockperf tp at `rate` datagrams/s (or "max"): returns (sent, seconds)."""
    cmd = sender_pin() + ["sockperf", "tp", "-i", "127.0.0.1", "-p", str(port), "-m", str(size), "-t", str(secs),
                          "--mps", str(rate)]
    R.command("fixed-rate sender", sender_pin() + ["sockperf", "tp", "-i", "127.0.0.1", "-p", "PORT", "-m", "SIZE", "-t",
                                    str(secs), "--mps", "RATE"])
    code, out = run(cmd, timeout=secs + 15)
    m = re.search(r"Total of (\d+) messages sent in ([\d.]+) sec", out)
    if not m:
        raise RuntimeError("sockperf tp said: " + out[-500:])
    return int(m.group(1)), float(m.group(2))


def sockperf_datagram(size):
    """`size` bytes as hex that `sockperf sr` counts (it ignores anything without its 14-byte
    header: sequence number, flags, length); the others just count datagrams. Flags 1 = from a
    client, no reply wanted."""
    import struct
    return (struct.pack(">QHI", 1, 1, size) + b"a" * (size - 14)).hex()


def sender_pin():
    """`taskset -c 1` on a machine with 2 CPUs or more: the fixed-rate sender keeps to CPU 1, so
    every receiver has CPU 0 to itself (and what CPU 1 has left), whichever it is."""
    return ["taskset", "-c", "1"] if have("taskset") and (os.cpu_count() or 1) >= 2 else []


def socklab_send(port, size, rate, secs):
    """SockLab's generator at `rate` datagrams/s for `secs`: returns (sent, seconds). It sleeps
    between batches, where `sockperf tp --mps N` busy-waits and keeps a whole core."""
    cmd = sender_pin() + [BIN, "udp", "--bind", "127.0.0.1:0", "--to", "127.0.0.1:%d" % port, "--hex", sockperf_datagram(size),
           "--rate", str(rate), "--count", str(int(rate * secs)), "--json"]
    R.command("fixed-rate sender", sender_pin() + ["socklab", "udp", "--bind", "127.0.0.1:0", "--to", "127.0.0.1:PORT", "--hex",
                                    "'<SIZE bytes: a sockperf header, then a>'", "--rate", "RATE", "--count",
                                    "RATE*%s" % secs, "--json"])
    code, out = run(cmd, timeout=secs * 3 + 15)
    s = summary_json(out)
    if s is None or "gen_packets" not in s:
        raise RuntimeError("socklab sender (exit %s) said: %s" % (code, out[-500:]))
    return s["gen_packets"], s["gen_micros"] / 1e6


def summary_json(out):
    """The `summary` object of a `--json` run's output (other lines, stderr, are skipped)."""
    for line in reversed(out.splitlines()):
        if line.startswith("{") and '"summary"' in line:
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def rx_receiver(kind, port, size, outfile):
    if kind == "socklab":
        cmd = [BIN, "udp", "--bind", "127.0.0.1:%d" % port, "--quiet"]
    elif kind == "socklab_sys":
        cmd = [BIN, "udp", "--bind", "127.0.0.1:%d" % port, "--quiet", "--so-rcvbuf", "system"]
    elif kind == "sockperf":
        cmd = ["sockperf", "sr", "-i", "127.0.0.1", "-p", str(port)]
    else:
        cmd = [PY, str(PEERS / "udp_server.py"), str(port), "1024" if size <= 1024 else "2048"]
    R.command("UDP receiver (%s)%s" % (kind, ", stdout to a file in /dev/shm" if kind.startswith("socklab") else ""),
              shown(cmd, port))
    return start(cmd, stdout=outfile, stderr=subprocess.STDOUT)


def rx_count(kind, text):
    if kind.startswith("socklab"):
        m = re.search(r"summary: rx (\d+) packets", text)
    elif kind == "sockperf":
        m = re.search(r"Total (\d+) messages received", text)
    else:
        m = re.search(r"received (\d+)", text)
    return int(m.group(1)) if m else None


def rx_trial(kind, size, rate, secs):
    """One run: the receiver starts, the sender sends for `secs` at `rate`, the receiver drains
    its queue and is stopped; returns (ok, achieved rate, sent, received, kernel drops)."""
    port = free_port()
    path = Path(TMP) / ("rx-%s-%d.out" % (kind, port))
    with open(path, "wb") as f:
        p = rx_receiver(kind, port, size, f)
        try:
            if not wait_udp_bound(port):
                raise RuntimeError("%s receiver did not bind" % kind)
            time.sleep(0.05)
            sent, took = SEND(port, size, rate, secs)
            # Let the receiver read what is queued (at most 3 s), then stop it.
            wait_until(lambda: (udp_queue_and_drops(port)[0] or 0) == 0, 3)
            time.sleep(0.1)
            _, drops = udp_queue_and_drops(port)
        finally:
            stop(p, signal.SIGINT, timeout=15)
    text = tail(path)
    path.unlink()
    got = rx_count(kind, text)
    if got is None:
        raise RuntimeError("%s receiver printed no count: %s" % (kind, text[-300:]))
    return got >= sent, sent / took, sent, got, drops


def tail(path, n=4000):
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - n))
        return f.read().decode(errors="replace")


def zero_loss_search():
    """The search for one receiver, as a generator: yields the rate to try next and is sent back
    (ok, achieved rate); returns (best loss-free rate, sender limit reached, runs). Doubling from
    CFG.start_rate, then a bisection in log space. A rate counts as loss-free when one of two runs
    at it lost nothing. Bounded: at most CFG.max_trials runs."""
    best = 0.0
    trials = 0
    limited = False

    def attempt(rate):
        nonlocal trials
        achieved = 0.0
        for _ in range(2):
            trials += 1
            ok, achieved = yield rate
            if ok:
                return True, achieved
        return False, achieved

    rate = CFG.start_rate
    lo, hi = None, None
    while trials < CFG.max_trials:
        ok, achieved = yield from attempt(rate)
        if ok:
            best = max(best, achieved)
            lo = rate
            if achieved < 0.9 * rate:
                # The sender could not go faster: the receiver took everything it could send.
                limited = True
                break
            if hi is not None:
                break
            rate *= 2
        else:
            hi = rate
            if lo is not None:
                break
            rate /= 2
            if rate < 1000:
                break
    if lo is not None and hi is not None and not limited:
        for _ in range(CFG.bisect):
            if trials >= CFG.max_trials:
                break
            mid = math.sqrt(lo * hi)
            ok, achieved = yield from attempt(mid)
            if ok:
                lo = mid
                best = max(best, achieved)
            else:
                hi = mid
    return best, limited, trials


CHECKS = {"trials": 0, "mismatch": [], "relay_udp": []}
SECTION_LOAD = []


def bench_udp_receive():
    """The receivers' searches run in turn, one trial each (the order rotating), so a busy
    moment of the shared machine falls on all of them alike."""
    kinds = ["socklab", "socklab_sys"] + (["sockperf"] if have("sockperf") else []) + ["python"]
    for size in (64, 1400):
        for rep in range(CFG.reps):
            t0 = time.monotonic()
            searches = {k: zero_loss_search() for k in kinds}
            pending = {k: next(g) for k, g in searches.items()}
            results = {}
            turn = rep
            while pending:
                order = list(pending)
                turn += 1
                order = order[turn % len(order):] + order[:turn % len(order)]
                for kind in order:
                    ok, achieved, sent, got, drops = rx_trial(kind, size, int(pending[kind]), CFG.trial)
                    CHECKS["trials"] += 1
                    if drops is not None and got + drops != sent:
                        CHECKS["mismatch"].append("%s %d B at %d/s: sent %d, received %d, kernel drops %d" % (
                            kind, size, pending[kind], sent, got, drops))
                    try:
                        pending[kind] = searches[kind].send((ok, achieved))
                    except StopIteration as done:
                        results[kind] = done.value
                        del pending[kind]
            for kind in kinds:
                best, limited, trials = results[kind]
                R.add("udp_rx_%d_%s" % (size, kind), best)
                if limited:
                    R.note("udp_rx_%d_%s" % (size, kind),
                           "sender limit reached (the receiver lost nothing at the sender's top rate)")
                log("UDP receive %d B %-8s run %d: %8.0f datagrams/s zero-loss (%d trials)%s" % (
                    size, kind, rep + 1, best, trials, " [sender limit]" if limited else ""))
            log("  (%.0f s)" % (time.monotonic() - t0))


# ---------------------------------------------------------------------------------------------
# UDP round trip: every server runs at once, the client takes them in turn.


def bench_udp_rtt():
    """All on one CPU (taskset -c 0): across the two vCPUs every wake-up of a halted vCPU adds
    30-70 µs that depend on the hypervisor and on where the scheduler put each process, which
    swamped the servers' own differences; on one CPU a round trip is the software path plus the
    context switches, and SockLab's second (printing) thread pays its share there too."""
    kinds = ["socklab"] + (["sockperf"] if have("sockperf") else []) + ["python"]
    pin = ["taskset", "-c", "0"] if have("taskset") else []
    for rep in range(CFG.reps):
        procs, ports = [], {}
        try:
            for kind in kinds:
                port = free_port()
                if kind == "socklab":
                    cmd = [BIN, "udp", "--bind", "127.0.0.1:%d" % port, "--reply", "echo", "--quiet"]
                elif kind == "sockperf":
                    cmd = ["sockperf", "sr", "-i", "127.0.0.1", "-p", str(port)]
                else:
                    cmd = [PY, str(PEERS / "udp_server.py"), str(port), "1024", "echo"]
                cmd = pin + cmd
                R.command("echo server (%s)%s" % (kind, ", stdout to /dev/null" if kind == "socklab" else ""),
                          shown(cmd, port))
                procs.append(start(cmd))
                ports[kind] = port
            for port in ports.values():
                wait_udp_bound(port)
            cmd = pin + [PY, str(PEERS / "udp_rtt_client.py"), ",".join(str(ports[k]) for k in kinds),
                         str(CFG.rtt_secs), "64"]
            R.command("round-trip client (the servers in turn)",
                      pin + ["python3", "bench/peers/udp_rtt_client.py", ",".join("PORT_" + k for k in kinds),
                             str(CFG.rtt_secs), "64"])
            code, out = run(cmd, timeout=CFG.rtt_secs * 2 + 30)
            res = json.loads(out.strip().splitlines()[-1])
        finally:
            for p in procs:
                stop(p)
        for kind in kinds:
            r = res[str(ports[kind])]
            R.add("rtt_p50_%s" % kind, r["p50_us"])
            R.add("rtt_p99_%s" % kind, r["p99_us"])
            log("UDP round trip %-8s run %d: p50 %.1f us, p99 %.1f us (%d round trips, %d lost)" % (
                kind, rep + 1, r["p50_us"], r["p99_us"], r["round_trips"], r["lost"]))
        if have("sockperf"):
            # sockperf's own client against its own server, for reference (it reports half the
            # round trip as "latency": doubled here).
            port = free_port()
            p = start(pin + ["sockperf", "sr", "-i", "127.0.0.1", "-p", str(port)])
            try:
                wait_udp_bound(port)
                cmd = pin + ["sockperf", "pp", "-i", "127.0.0.1", "-p", str(port), "-m", "64", "-t", str(CFG.pp_secs)]
                R.command("sockperf's own ping-pong (reference)", shown(cmd, port))
                code, out = run(cmd, timeout=CFG.pp_secs + 20)
            finally:
                stop(p)
            p50 = re.search(r"percentile 50\.000 =\s+([\d.]+)", out)
            p99 = re.search(r"percentile 99\.000 =\s+([\d.]+)", out)
            if p50 and p99:
                R.add("rtt_p50_sockperf_pp", 2 * float(p50.group(1)))
                R.add("rtt_p99_sockperf_pp", 2 * float(p99.group(1)))
                log("UDP round trip sockperf pp -> sr run %d: p50 %.1f us, p99 %.1f us" % (
                    rep + 1, 2 * float(p50.group(1)), 2 * float(p99.group(1))))


# ---------------------------------------------------------------------------------------------
# Load tests (`socklab bench`) against the anchors: sockperf's own ping-pong, sockperf tp's
# blast, a Python client churning connections on the tutorial's threaded server.


def bench_json(cmd, timeout):
    code, out = run(cmd, timeout=timeout)
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    raise RuntimeError("socklab bench (exit %s) said: %s" % (code, out[-500:]))


def sockperf_pp(port, tcp, secs, pin):
    cmd = pin + ["sockperf", "pp", "-i", "127.0.0.1", "-p", str(port), "-m", "64", "-t", str(secs)] + (["--tcp"] if tcp else [])
    R.command("sockperf's ping-pong%s" % (" (TCP)" if tcp else ""), shown(cmd, port))
    code, out = run(cmd, timeout=secs + 20)
    m = re.search(r"percentile 50\.000 =\s+([\d.]+)", out)
    p99 = re.search(r"percentile 99\.000 =\s+([\d.]+)", out)
    if not m:
        raise RuntimeError("sockperf pp said: " + out[-500:])
    # sockperf reports half the round trip as "latency": doubled here.
    return 2 * float(m.group(1)), 2 * float(p99.group(1)) if p99 else None


def bench_load():
    pin = ["taskset", "-c", "0"] if have("taskset") else []
    secs = CFG.pp_secs + 1
    msg = "x" * 63 + "\\n"  # 64 bytes on the wire with --escapes (the command stays on one line)
    for rep in range(CFG.reps):
        for tcp in (False, True):
            proto = "tcp" if tcp else "udp"
            # SockLab's load tester against SockLab's echo server.
            port = free_port()
            server = [BIN, "tcp-server" if tcp else "udp", "--bind", "127.0.0.1:%d" % port, "--reply", "echo", "--quiet"]
            p = start(pin + server)
            try:
                (wait_tcp_listening if tcp else wait_udp_bound)(port)
                cmd = pin + [BIN, "bench", proto, "--connect", "127.0.0.1:%d" % port, "--mode", "pingpong",
                             "--duration", str(secs), "--send", msg, "--escapes", "--json"]
                R.command("bench %s ping-pong: the echo server" % proto.upper(), shown(pin + server, port))
                R.command("bench %s ping-pong: the load tester" % proto.upper(), shown(cmd, port))
                v = bench_json(cmd, secs + 30)
            finally:
                stop(p)
            R.add("load_pp_%s_p50_socklab" % proto, v["p50_us"])
            R.add("load_pp_%s_p99_socklab" % proto, v["p99_us"])
            log("bench %s ping-pong run %d: p50 %.1f us, p99 %.1f us, %d round trips" % (
                proto, rep + 1, v["p50_us"], v["p99_us"], v["received"]))
            if not have("sockperf"):
                continue
            port = free_port()
            p = start(pin + ["sockperf", "sr", "-i", "127.0.0.1", "-p", str(port)] + (["--tcp"] if tcp else []))
            try:
                (wait_tcp_listening if tcp else wait_udp_bound)(port)
                p50, p99 = sockperf_pp(port, tcp, secs, pin)
            finally:
                stop(p)
            R.add("load_pp_%s_p50_sockperf" % proto, p50)
            R.add("load_pp_%s_p99_sockperf" % proto, p99)
            log("sockperf %s pp -> sr run %d: p50 %.1f us, p99 %.1f us" % (proto, rep + 1, p50, p99 or 0))
        # Blast: datagrams/s into a socket that never reads.
        sink, port = sink_socket()
        try:
            cmd = [BIN, "bench", "udp", "--connect", "127.0.0.1:%d" % port, "--mode", "blast", "--duration",
                   str(CFG.send_secs), "--send", "x" * 64, "--threads", "1", "--json"]
            R.command("bench UDP blast (into a socket that never reads)", shown(cmd, port))
            v = bench_json(cmd, CFG.send_secs + 30)
            R.add("load_blast_socklab", v["sent"] / v["elapsed_s"])
            log("bench udp blast run %d: %.0f datagrams/s" % (rep + 1, v["sent"] / v["elapsed_s"]))
            if have("sockperf"):
                sent, took = sockperf_send(port, 64, "max", CFG.send_secs)
                R.add("load_blast_sockperf", sent / took)
                log("sockperf tp run %d: %.0f datagrams/s" % (rep + 1, sent / took))
        finally:
            sink.close()
        # Churn on the tutorial's threaded server, 4 connections at a time on both sides.
        port = free_port()
        p = start([PY, str(PEERS / "hello_server_threads.py"), str(port), "1024"])
        try:
            wait_tcp_listening(port)
            cmd = [BIN, "bench", "tcp", "--connect", "127.0.0.1:%d" % port, "--mode", "churn", "--connections", "4",
                   "--duration", str(CFG.tcp_secs), "--send", "bob", "--expect", "regex:hello, [^!]*!", "--json"]
            R.command("bench TCP churn against the tutorial's threaded server", shown(cmd, port))
            t0 = cpu_ticks(p.pid)
            v = bench_json(cmd, CFG.tcp_secs + 30)
            R.add("load_churn_socklab", v["qps"])
            R.add("load_churn_server_cpu_socklab", (cpu_ticks(p.pid) - t0) / TICKS / v["elapsed_s"] * 100)
            log("bench tcp churn run %d: %.0f connections/s, %d failures" % (rep + 1, v["qps"], sum(v["failures"].values())))
            time.sleep(1)
            cmd = [PY, str(PEERS / "churn_client.py"), str(port), str(CFG.tcp_secs), "4"]
            R.command("Python churn client (4 threads)", ["python3", "bench/peers/churn_client.py", "PORT", str(CFG.tcp_secs), "4"])
            t0 = cpu_ticks(p.pid)
            code, out = run(cmd, timeout=CFG.tcp_secs + 30)
            py = json.loads(out.strip().splitlines()[-1])
            R.add("load_churn_python", py["per_s"])
            R.add("load_churn_server_cpu_python", (cpu_ticks(p.pid) - t0) / TICKS / py["seconds"] * 100)
            log("Python churn run %d: %.0f connections/s" % (rep + 1, py["per_s"]))
        finally:
            stop(p)
        # The same two clients against a server that is not the bottleneck (SockLab's own
        # hello server: one mio poll, no thread per client).
        time.sleep(1)
        port = free_port()
        p = start([BIN, "tcp-server", "--bind", "127.0.0.1:%d" % port, "--reply", "hello", "--quiet"])
        try:
            wait_tcp_listening(port)
            cmd = [BIN, "bench", "tcp", "--connect", "127.0.0.1:%d" % port, "--mode", "churn", "--connections", "4",
                   "--duration", str(CFG.tcp_secs), "--send", "bob", "--expect", "regex:hello, [^!]*!", "--json"]
            R.command("bench TCP churn against `socklab tcp-server --reply hello`", shown(cmd, port))
            v = bench_json(cmd, CFG.tcp_secs + 30)
            R.add("load_churn2_socklab", v["qps"])
            time.sleep(1)
            code, out = run([PY, str(PEERS / "churn_client.py"), str(port), str(CFG.tcp_secs), "4"], timeout=CFG.tcp_secs + 30)
            py = json.loads(out.strip().splitlines()[-1])
            R.add("load_churn2_python", py["per_s"])
            log("churn on socklab's server run %d: bench %.0f, Python %.0f connections/s" % (rep + 1, v["qps"], py["per_s"]))
        finally:
            stop(p)


# ---------------------------------------------------------------------------------------------
# Senders: datagrams/s into a sink that never reads (the kernel drops what does not fit, which
# costs the sender nothing more).


def sink_socket():
    port = free_port()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.1", port))
    return s, port


def timed_at_sink(port, cmd, timeout, env=None, settle=0.0):
    """Runs a sender into the sink on `port` and times it where the datagrams arrive: the sink
    never reads, so each one is counted by the kernel's per-socket drop counter, polled every
    5 ms. With `settle`, polling goes on after the sender ended until nothing arrived for that
    long (a relay in between still has datagrams in flight). Returns (datagrams/s from the
    first to the last arrival, arrivals, output)."""
    _, d0 = udp_queue_and_drops(port)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    STARTED.append(p)
    first = last = None
    count = d0
    end = time.monotonic() + timeout
    ended = None
    while time.monotonic() < end:
        done = p.poll() is not None
        _, d = udp_queue_and_drops(port)
        now = time.monotonic()
        if d is not None and d != count:
            if first is None:
                first = (now, count)
            last = (now, d)
            count = d
        if done:
            ended = ended or now
            if now - max(ended, last[0] if last else ended) >= settle:
                break
        time.sleep(0.005)
    out = p.communicate(timeout=10)[0].decode(errors="replace") if p.poll() is not None else ""
    stop(p, signal.SIGKILL)
    if first is None or last is None or last[0] <= first[0]:
        return None, count - d0, out
    return (last[1] - first[1]) / (last[0] - first[0]), count - d0, out


def bench_senders():
    n = CFG.send_count
    for rep in range(CFG.reps):
        s, port = sink_socket()
        try:
            # SockLab's CLI generator.
            cmd = [BIN, "udp", "--bind", "127.0.0.1:0", "--to", "127.0.0.1:%d" % port, "--hex", "61" * 64,
                   "--count", str(n), "--rate", "max", "--json"]
            R.command("SockLab sender (CLI generator)", shown(cmd[:7], port) + ["'<64 bytes as hex>'"] + cmd[8:])
            rate, arrived, out = timed_at_sink(port, cmd, 120)
            summ = summary_json(out)
            own = summ["gen_packets"] / (summ["gen_micros"] / 1e6) if summ else None
            R.add("send_socklab", rate)
            R.add("send_socklab_own", own)
            log("sender socklab      run %d: %.0f datagrams/s at the sink (%d arrived), its own summary: %s/s" % (
                rep + 1, rate or 0, arrived, fmt(own)))
            if have("sockperf"):
                secs = max(1, round(CFG.send_secs))
                cmd = ["sockperf", "tp", "-i", "127.0.0.1", "-p", str(port), "-m", "64", "-t", str(secs), "--mps", "max"]
                R.command("sockperf sender", shown(cmd, port))
                rate, arrived, out = timed_at_sink(port, cmd, secs + 20)
                m = re.search(r"Total of (\d+) messages sent in ([\d.]+) sec", out)
                own = int(m.group(1)) / float(m.group(2)) if m else None
                R.add("send_sockperf", rate)
                R.add("send_sockperf_own", own)
                log("sender sockperf     run %d: %.0f datagrams/s at the sink (%d arrived), its own summary: %s/s" % (
                    rep + 1, rate or 0, arrived, fmt(own)))
            if have("packetsender"):
                # packetsender's "intense traffic" mode: --num N, --rate 0 (no pacing).
                pn = CFG.packetsender_count
                cmd = ["packetsender", "-q", "-u", "-x", "--num", str(pn), "--rate", "0", "127.0.0.1", str(port), "61" * 64]
                R.command("packetsender sender (QT_QPA_PLATFORM=offscreen)", shown(cmd[:-1], port) + ["'<64 bytes as hex>'"])
                env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
                rate, arrived, out = timed_at_sink(port, cmd, 120, env=env)
                R.add("send_packetsender", rate)
                log("sender packetsender run %d: %s datagrams/s at the sink (%d arrived)" % (rep + 1, fmt(rate), arrived))
            # The tutorial's way: a Python sendto loop.
            cmd = [PY, "-c", PY_SENDER, str(port), str(CFG.py_send_count)]
            rate, arrived, out = timed_at_sink(port, cmd, 120)
            R.add("send_python", rate)
            log("sender python       run %d: %s datagrams/s at the sink (%d arrived)" % (rep + 1, fmt(rate), arrived))
        finally:
            s.close()
    R.command("Python sender (the tutorial's sendto, in a loop)",
              ["python3", "-c", "'for _ in range(n): s.sendto(data, addr)'", "PORT", str(CFG.py_send_count)])


PY_SENDER = """
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
data = b'a' * 64
t0 = time.monotonic()
for _ in range(n):
    s.sendto(data, ('127.0.0.1', port))
print(n / (time.monotonic() - t0))
"""


# ---------------------------------------------------------------------------------------------
# TCP throughput through an echo server.


def echo_client(port, secs):
    cmd = [PY, str(PEERS / "tcp_echo_client.py"), str(port), str(secs), "65536"]
    R.command("TCP echo client", ["python3", "bench/peers/tcp_echo_client.py", "PORT", str(secs), "65536"])
    code, out = run(cmd, timeout=secs + 30)
    return json.loads(out.strip().splitlines()[-1])


def bench_tcp_throughput():
    for rep in range(CFG.reps):
        servers = [("socklab", None)]
        if have("socat"):
            servers.append(("socat", None))
        for kind, _ in servers:
            port = free_port()
            if kind == "socklab":
                cmd = [BIN, "tcp-server", "--bind", "127.0.0.1:%d" % port, "--reply", "echo", "--quiet"]
            else:
                # socat's default 8 KiB block: with -b 65536 the PIPE echo deadlocks on the
                # pipe's 64 KiB capacity.
                cmd = ["socat", "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork" % port, "PIPE"]
            R.command("TCP echo server (%s), stdout to /dev/null" % kind if kind == "socklab" else "TCP echo server (%s)" % kind,
                      shown(cmd, port))
            p = start(cmd)
            try:
                wait_tcp_listening(port)
                r = echo_client(port, CFG.tcp_secs)
            finally:
                stop(p)
            R.add("tcp_%s" % kind, r["mib_s"])
            log("TCP echo %-7s run %d: %.1f MiB/s echoed (%d of %d bytes)" % (kind, rep + 1, r["mib_s"], r["echoed"], r["sent"]))
        if have("iperf3"):
            port = free_port()
            p = start(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(port), "-1"])
            try:
                wait_tcp_listening(port)
                cmd = ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(max(1, round(CFG.tcp_secs))), "-J"]
                R.command("iperf3 (physical limit)", ["iperf3", "-s", "-B", "127.0.0.1", "-p", "PORT", "-1", ";"]
                          + shown(cmd, port))
                code, out = run(cmd, timeout=CFG.tcp_secs + 30)
            finally:
                stop(p)
            try:
                bps = json.loads(out)["end"]["sum_received"]["bits_per_second"]
                R.add("tcp_iperf3", bps / 8 / (1 << 20))
                log("TCP iperf3 run %d: %.1f MiB/s" % (rep + 1, bps / 8 / (1 << 20)))
            except (ValueError, KeyError):
                log("iperf3 failed: " + out[-300:])


# ---------------------------------------------------------------------------------------------
# TLS: echo throughput and 1,000 concurrent handshakes, SockLab's TLS server against socat's
# OPENSSL-LISTEN with the same certificate (made here with openssl, CA:FALSE).


def tls_cert_files():
    d = Path(tempfile.mkdtemp(prefix="socklab-bench-tls-"))
    cert, key = d / "cert.pem", d / "key.pem"
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:FALSE"], 30)
    return cert, key


def tls_server_cmd(kind, port, cert, key):
    if kind == "socklab":
        return [BIN, "tcp-server", "--bind", "127.0.0.1:%d" % port, "--reply", "echo", "--quiet", "--tls",
                "--cert", str(cert), "--key", str(key)]
    return ["socat", "OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,cert=%s,key=%s,verify=0" % (port, cert, key), "PIPE"]


def bench_tls():
    if not (have("openssl") and have("socat")):
        log("TLS: openssl or socat missing, skipped")
        return
    cert, key = tls_cert_files()
    for rep in range(CFG.reps):
        for kind in ("socklab", "socat"):
            port = free_port()
            cmd = tls_server_cmd(kind, port, cert, key)
            R.command("TLS echo server (%s)" % kind, shown(cmd, port))
            p = start(cmd)
            try:
                wait_tcp_listening(port)
                ecmd = [PY, str(PEERS / "tls_echo_client.py"), str(port), str(CFG.tcp_secs), str(cert), "65536"]
                R.command("TLS echo client", ["python3", "bench/peers/tls_echo_client.py", "PORT", str(CFG.tcp_secs), "cert.pem", "65536"])
                code, out = run(ecmd, timeout=CFG.tcp_secs + 30)
                r = json.loads(out.strip().splitlines()[-1])
                R.add("tls_echo_%s" % kind, r["mib_s"])
                hcmd = [PY, str(PEERS / "tls_handshakes.py"), str(port), "1000", str(cert)]
                R.command("1,000 concurrent TLS handshakes", ["python3", "bench/peers/tls_handshakes.py", "PORT", "1000", "cert.pem"])
                code, out = run(hcmd, timeout=120)
                h = json.loads(out.strip().splitlines()[-1])
                R.add("tls_hs_%s" % kind, h["handshakes_s"])
                R.add("tls_hs_failed_%s" % kind, h["failed"])
                scmd = ["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-new", "-time", "3", "-CAfile", str(cert)]
                R.command("openssl s_time (sequential handshakes)", shown(scmd, port))
                code, out = run(scmd, timeout=30)
                m = re.search(r"(\d+) connections in (\d+) real seconds", out)
                if m:
                    R.add("tls_stime_%s" % kind, int(m.group(1)) / max(1, int(m.group(2))))
            finally:
                stop(p)
            log("TLS %-7s run %d: echo %.1f MiB/s, 1000 handshakes %.0f/s (%d failed)" % (
                kind, rep + 1, r["mib_s"], h["handshakes_s"], h["failed"]))


# ---------------------------------------------------------------------------------------------
# TCP scale: N concurrent hello clients.


def bench_tcp_scale():
    n = CFG.clients
    for rep in range(CFG.reps):
        for kind in ("socklab", "python"):
            port = free_port()
            if kind == "socklab":
                cmd = [BIN, "tcp-server", "--bind", "127.0.0.1:%d" % port, "--reply", "hello", "--backlog", "1024"]
            else:
                cmd = [PY, str(PEERS / "hello_server_threads.py"), str(port), "1024"]
            R.command("hello server (%s)%s" % (kind, ", stdout to /dev/null" if kind == "socklab" else ""),
                      shown(cmd, port))
            p = start(cmd)
            client = None
            try:
                wait_tcp_listening(port)
                rss0 = vm_status(p.pid, "VmRSS")
                ccmd = [PY, str(PEERS / "scale_client.py"), str(port), str(n), "500", "120"]
                R.command("scale client", ["python3", "bench/peers/scale_client.py", "PORT", str(n), "500", "120"])
                client = start(ccmd, stdout=subprocess.PIPE, stdin=subprocess.PIPE)
                line = client.stdout.readline().decode()
                res = json.loads(line)
                time.sleep(1.0)  # every client idle, connected
                rss = vm_status(p.pid, "VmRSS")
                threads = vm_status(p.pid, "Threads")
                alive = p.poll() is None
                client.stdin.write(b"done\n")
                client.stdin.flush()
                client.wait(60)
            finally:
                if client is not None:
                    stop(client, signal.SIGTERM)
                stop(p)
            serve = res["serve_s"] or float("nan")
            R.add("scale_fail_%s" % kind, res["failures"] + (0 if alive else n))
            R.add("scale_serve_%s" % kind, serve)
            R.add("scale_cps_%s" % kind, n / res["connect_s"] if res["connect_s"] else None)
            R.add("scale_rss_%s" % kind, rss)
            R.add("scale_rss0_%s" % kind, rss0)
            R.add("scale_threads_%s" % kind, threads)
            if res["errors"]:
                R.note("scale_fail_%s" % kind, json.dumps(res["errors"]))
            log("TCP scale %-7s run %d: %d/%d served, %d failures, all served in %.2f s, %.0f connections/s, "
                "RSS %.1f MiB (%.1f before), %s threads" % (kind, rep + 1, res["served"], n, res["failures"], serve,
                                                            n / res["connect_s"] if res["connect_s"] else 0, rss or 0,
                                                            rss0 or 0, threads))


# ---------------------------------------------------------------------------------------------
# Relay: `socklab relay` against socat's relay, the same server behind both, and the direct
# path (no relay) as the limit.


def relay_cmd(kind, listen, to, udp=False, backlog=False):
    """The relay from 127.0.0.1:listen to 127.0.0.1:to; kind socklab or socat. `backlog`: socat
    listens with a backlog of 1024 (SockLab's default) instead of its own default of 5."""
    if kind == "socklab":
        return [BIN, "relay", "--listen", "127.0.0.1:%d" % listen, "--to", "127.0.0.1:%d" % to, "--quiet"] + (
            ["--udp", "--json"] if udp else [])
    if udp:
        # One session, no fork: with fork, socat's UDP-LISTEN forks several children for one
        # client under a flood and loses most datagrams (see docs/benchmarks.md).
        return ["socat", "UDP-LISTEN:%d,bind=127.0.0.1,reuseaddr" % listen, "UDP:127.0.0.1:%d" % to]
    return ["socat", "TCP-LISTEN:%d,bind=127.0.0.1,fork,reuseaddr%s" % (listen, ",backlog=1024" if backlog else ""),
            "TCP:127.0.0.1:%d" % to]


def relay_kinds():
    return ["socklab"] + (["socat"] if have("socat") else [])


def start_relays(to, udp=False, pin=(), out=None, kinds=None, backlog=False):
    """Starts the relays (every kind by default) to the server on `to`; returns
    {kind: (process, port)}."""
    relays = {}
    for kind in kinds or relay_kinds():
        port = free_port()
        cmd = list(pin) + relay_cmd(kind, port, to, udp, backlog)
        where = ", stdout to a file" if out and kind == "socklab" else ", stdout to /dev/null" if kind == "socklab" else ""
        R.command("%s relay (%s)%s%s" % ("UDP" if udp else "TCP", kind, where,
                                         ", for the concurrent connections" if backlog else ""),
                  [re.sub(r":%d\b" % to, ":SERVER_PORT", c) for c in shown(cmd, port)])
        f = out if out else subprocess.DEVNULL
        relays[kind] = (start(cmd, stdout=f, stderr=subprocess.STDOUT if out else subprocess.DEVNULL), port)
    for kind, (p, port) in relays.items():
        ok = wait_udp_bound(port) if udp else wait_tcp_listening(port)
        if not ok:
            raise RuntimeError("%s relay did not listen on %d" % (kind, port))
    return relays


def group_rss(pgid):
    """(VmRSS, Pss) in MiB summed over the processes of a process group (socat and its forked
    children): summed RSS counts the pages they share once in each, Pss shares them out."""
    rss = pss = 0.0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if int(rest[2]) != pgid:
                continue
            rss += vm_status(int(d), "VmRSS") or 0
            with open("/proc/%s/smaps_rollup" % d) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) / 1024.0
        except (OSError, IndexError, ValueError):
            pass
    return rss, pss


def bench_relay():
    # Both ends of 1,000 relayed connections and the server's: raise the soft fd limit.
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < min(hard, 20000):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
    except (ImportError, ValueError, OSError):
        pass
    for rep in range(CFG.reps):
        bench_relay_tcp_throughput(rep)
        bench_relay_tcp_rtt(rep)
        bench_relay_tcp_concurrent(rep)
        bench_relay_udp(rep)


def rotate(items, rep):
    k = rep % len(items)
    return items[k:] + items[:k]


def bench_relay_tcp_throughput(rep):
    eport = free_port()
    ecmd = [BIN, "tcp-server", "--bind", "127.0.0.1:%d" % eport, "--reply", "echo", "--quiet"]
    R.command("TCP echo server behind the relays (socklab), stdout to /dev/null", shown(ecmd, eport))
    echo = start(ecmd)
    relays = {}
    try:
        wait_tcp_listening(eport)
        relays = start_relays(eport)
        paths = [("direct", eport)] + [(k, relays[k][1]) for k in relays]
        for kind, port in rotate(paths, rep):
            r = echo_client(port, CFG.tcp_secs)
            R.add("relay_tcp_%s" % kind, r["mib_s"])
            log("TCP relay throughput %-7s run %d: %.1f MiB/s echoed (%d of %d bytes)" % (
                kind, rep + 1, r["mib_s"], r["echoed"], r["sent"]))
    finally:
        for p, _ in relays.values():
            stop(p)
        stop(echo)


def bench_relay_tcp_rtt(rep):
    """Everything on CPU 0, as the UDP round trip (a wake-up across the two vCPUs costs tens of
    µs that depend on the hypervisor): a relay's added latency is then its software path and
    its context switches."""
    pin = ["taskset", "-c", "0"] if have("taskset") else []
    eport = free_port()
    ecmd = pin + [BIN, "tcp-server", "--bind", "127.0.0.1:%d" % eport, "--reply", "echo", "--quiet"]
    echo = start(ecmd)
    relays = {}
    try:
        wait_tcp_listening(eport)
        relays = start_relays(eport, pin=pin)
        paths = [("direct", eport)] + [(k, relays[k][1]) for k in relays]
        res = {}
        for kind, port in rotate(paths, rep):
            cmd = pin + [PY, str(PEERS / "tcp_pingpong_client.py"), str(port), str(CFG.relay_rtts), "64", "60"]
            R.command("TCP ping-pong client (direct to the echo server, or through a relay)",
                      pin + ["python3", "bench/peers/tcp_pingpong_client.py", "PORT", str(CFG.relay_rtts), "64", "60"])
            code, out = run(cmd, timeout=90)
            res[kind] = json.loads(out.strip().splitlines()[-1])
            R.add("relay_rtt_p50_%s" % kind, res[kind]["p50_us"])
            R.add("relay_rtt_p99_%s" % kind, res[kind]["p99_us"])
            log("TCP relay round trip %-7s run %d: p50 %.1f us, p99 %.1f us (%d round trips)" % (
                kind, rep + 1, res[kind]["p50_us"], res[kind]["p99_us"], res[kind]["round_trips"]))
        for kind in relays:
            added = res[kind]["p50_us"] - res["direct"]["p50_us"]
            R.add("relay_added_%s" % kind, added)
            log("TCP relay added latency %-7s run %d: %.1f us" % (kind, rep + 1, added))
    finally:
        for p, _ in relays.values():
            stop(p)
        stop(echo)


def bench_relay_tcp_concurrent(rep):
    n = CFG.relay_clients
    hport = free_port()
    hcmd = [BIN, "tcp-server", "--bind", "127.0.0.1:%d" % hport, "--reply", "hello", "--backlog", "1024", "--quiet"]
    R.command("hello server behind the relays (socklab), stdout to /dev/null", shown(hcmd, hport))
    hello = start(hcmd)
    try:
        wait_tcp_listening(hport)
        for kind in rotate(relay_kinds(), rep):
            relays = {}
            client = None
            try:
                # socat's default listen backlog of 5 leaves some of 1,000 clients that connect
                # 200 at a time never served (the kernel drops their handshake's last ACK when
                # the accept queue is full): it gets SockLab's 1024.
                relays = start_relays(hport, kinds=[kind], backlog=True)
                p, port = relays[kind]
                rss0 = vm_status(p.pid, "VmRSS")
                ccmd = [PY, str(PEERS / "scale_client.py"), str(port), str(n), "200", "120"]
                R.command("relayed-connections client (through a relay to the hello server)",
                          ["python3", "bench/peers/scale_client.py", "PORT", str(n), "200", "120"])
                client = start(ccmd, stdout=subprocess.PIPE, stdin=subprocess.PIPE)
                line = client.stdout.readline().decode()
                res = json.loads(line)
                time.sleep(1.0)  # every client idle, connected through the relay
                rss = vm_status(p.pid, "VmRSS")
                grss, gpss = group_rss(p.pid)
                threads = vm_status(p.pid, "Threads")
                alive = p.poll() is None
                client.stdin.write(b"done\n")
                client.stdin.flush()
                client.wait(60)
            finally:
                if client is not None:
                    stop(client, signal.SIGTERM)
                for q, _ in relays.values():
                    stop(q)
            R.add("relay_conc_fail_%s" % kind, res["failures"] + (0 if alive else n))
            R.add("relay_conc_rss_%s" % kind, grss)
            R.add("relay_conc_pss_%s" % kind, gpss)
            R.add("relay_conc_rss_main_%s" % kind, rss)
            R.add("relay_conc_rss0_%s" % kind, rss0)
            R.add("relay_conc_serve_%s" % kind, res["serve_s"])
            R.add("relay_conc_threads_%s" % kind, threads)
            if res["errors"]:
                R.note("relay_conc_fail_%s" % kind, json.dumps(res["errors"]))
            log("TCP relay %d connections %-7s run %d: %d served, %d failures, in %.2f s, RSS %.1f MiB "
                "(all its processes %.1f, Pss %.1f; %.1f before), %s threads" % (
                    n, kind, rep + 1, res["served"], res["failures"], res["serve_s"], rss or 0, grss, gpss, rss0 or 0,
                    threads))
    finally:
        stop(hello)


def bench_relay_udp(rep):
    """A fixed count of 64-byte datagrams from `udp --rate max` (pinned to CPU 1) through the
    relay to a sink that never reads (arrivals counted by the kernel's drop counter, as for the
    senders); the relay's own counts and the kernel's drops at its socket must add up."""
    n = CFG.relay_udp_count
    for kind in rotate(["direct"] + relay_kinds(), rep):
        s, sport = sink_socket()
        relays = {}
        outpath = Path(TMP) / ("relay-udp-%d.out" % sport)
        f = open(outpath, "wb")
        try:
            relays = start_relays(sport, udp=True, out=f, kinds=[kind]) if kind != "direct" else {}
            port = relays[kind][1] if kind != "direct" else sport
            cmd = sender_pin() + [BIN, "udp", "--bind", "127.0.0.1:0", "--to", "127.0.0.1:%d" % port, "--hex", "61" * 64,
                                  "--count", str(n), "--rate", "max", "--json"]
            R.command("UDP sender into the relay (or straight to the sink)",
                      shown(cmd[:len(cmd) - 6], port) + ["'<64 bytes as hex>'"] + cmd[-5:])
            rate, arrived, out = timed_at_sink(sport, cmd, 120, settle=0.3)
            # The few that fit in the sink's queue arrived too (the drop counter has the rest).
            s.setblocking(False)
            try:
                while True:
                    s.recv(2048)
                    arrived += 1
            except OSError:
                pass
            summ = summary_json(out)
            sent = summ["gen_packets"] if summ else None
            kdrops = udp_queue_and_drops(port)[1] if kind != "direct" else None
            if kind != "direct":
                stop(relays.pop(kind)[0])
        finally:
            for p, _ in relays.values():
                stop(p)
            f.close()
            s.close()
        R.add("relay_udp_%s" % kind, rate)
        R.add("relay_udp_arrived_%s" % kind, arrived)
        line = "UDP relay %-7s run %d: %s datagrams/s at the server, %d of %s arrived" % (
            kind, rep + 1, fmt(rate), arrived, sent)
        if kind == "socklab":
            rs = summary_json(outpath.read_text(errors="replace"))
            got, dropped = (rs["up_datagrams"], rs["dropped"]) if rs else (None, None)
            ok = rs is not None and sent is not None and got + (kdrops or 0) == sent and got - dropped == arrived
            CHECKS["relay_udp"].append(ok)
            if not ok:
                R.note("relay_udp_socklab", "sent %s, relay received %s and dropped %s, kernel drops at the relay's "
                       "socket %s, arrived %d" % (sent, got, dropped, kdrops, arrived))
            R.add("relay_udp_loss_socklab", 100.0 * (sent - arrived) / sent if sent else None)
            line += "; relay received %s, dropped %s, kernel drops at its socket %s: %s" % (
                got, dropped, kdrops, "adds up" if ok else "DOES NOT ADD UP")
        elif kind == "socat":
            R.add("relay_udp_loss_socat", 100.0 * (sent - arrived) / sent if sent else None)
            line += "; kernel drops at its socket %s" % kdrops
        outpath.unlink()
        log(line)


# ---------------------------------------------------------------------------------------------
# GUI under Xvfb.


def free_display():
    for d in range(99, 140):
        if not os.path.exists("/tmp/.X11-unix/X%d" % d) and not os.path.exists("/tmp/.X%d-lock" % d):
            return d
    raise RuntimeError("no free X display number")


def bench_gui():
    if not (have("Xvfb") and have("xdotool")):
        log("GUI: Xvfb or xdotool missing, skipped")
        return
    d = free_display()
    xvfb = start(["Xvfb", ":%d" % d, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
    try:
        if not wait_until(lambda: os.path.exists("/tmp/.X11-unix/X%d" % d), 10):
            raise RuntimeError("Xvfb did not start")
        cfgdir = Path(TMP) / "gui"
        cfgdir.mkdir(exist_ok=True)
        settings = cfgdir / "settings.json"
        env = dict(os.environ, DISPLAY=":%d" % d, SOCKLAB_CONFIG=str(settings))
        env.pop("WAYLAND_DISPLAY", None)
        R.command("GUI (all six tabs shown in a grid)", ["SOCKLAB_CONFIG=settings.json", "DISPLAY=:%d" % d, "socklab"])
        for rep in range(CFG.reps):
            # All tabs open: UDP active, the five others shown together with it in a grid.
            settings.write_text(json.dumps({"also": ["tcp_server", "tcp_client", "broadcast", "files", "all"],
                                            "arrange": "grid"}))
            run(["xdotool", "mousemove", "1279", "799"], 10, env=env)
            t0 = time.monotonic()
            app = start([BIN], env=env)
            try:
                code, out = run(["xdotool", "search", "--sync", "--onlyvisible", "--pid", str(app.pid)], 30, env=env)
                startup = time.monotonic() - t0
                if code != 0:
                    raise RuntimeError("no window: " + out)
                # The pointer stays outside the window (no hover, no tooltip); let it settle.
                time.sleep(2.0)
                tck = os.sysconf("SC_CLK_TCK")
                a = cpu_ticks(app.pid)
                time.sleep(CFG.idle_secs)
                b = cpu_ticks(app.pid)
                cpu = 100.0 * (b - a) / tck / CFG.idle_secs
                rss = vm_status(app.pid, "VmRSS")
            finally:
                stop(app, signal.SIGTERM)
            R.add("gui_startup", startup)
            R.add("gui_idle_cpu", cpu)
            R.add("gui_rss", rss)
            log("GUI run %d: first frame after %.3f s, idle CPU %.2f %% of a core over %.0f s, RSS %.1f MiB" % (
                rep + 1, startup, cpu, CFG.idle_secs, rss))
    finally:
        stop(xvfb, signal.SIGTERM)


def app_bench_runs(name, what, raw_key):
    """Builds `benches/NAME.rs` and runs it CFG.reps times with 60 Hz frames (`-- --vsync`);
    yields (run number, output) for each run that succeeded, and keeps the last lines it printed
    under `raw_key` for the report. Stops at the first failure."""
    cmd = ["cargo", "bench", "--bench", name, "--", "--vsync"]
    R.command(what, cmd)
    log("%s: building (first time: several minutes) and running" % name)
    code, out = run(["cargo", "bench", "--bench", name, "--no-run"], 1800, cwd=ROOT)
    if code != 0:
        log("%s build failed: %s" % (name, out[-500:]))
        return
    for rep in range(CFG.reps):
        code, out = run(cmd, 300, cwd=ROOT)
        lines = out.strip().splitlines()
        starts = [i for i, l in enumerate(lines) if l.startswith(name + ": frames")]
        if code != 0 or not starts:
            log("%s failed: %s" % (name, out[-800:]))
            return
        R.note(raw_key, [lines[starts[-1]]] + [l for l in lines[starts[-1] + 1:] if re.match(r"  \S", l)])
        yield rep + 1, out


def bench_gui_generator():
    """The GUI's traffic generator: benches/ui_generator.rs, the real app headless with frames
    paced at 60 Hz, its UDP tab's generator sending 500,000 datagrams of 64 bytes as fast as
    possible into a sink. Its figure is the worker's own report, which the bench checks against
    the tab's TX counter and the datagrams counted at the sink."""
    for rep, out in app_bench_runs("ui_generator", "GUI traffic generator (headless app, 60 Hz frames)",
                                   "send_gui_raw"):
        m = re.search(r"ui_generator: (\d+) datagrams/s", out)
        fps = re.search(r"\(([\d.]+) frames/s\)", out)
        if not m:
            log("ui_generator printed no rate: " + out[-800:])
            return
        R.add("send_gui", int(m.group(1)))
        if fps:
            R.add("send_gui_fps", float(fps.group(1)))
        log("ui_generator run %d: %s datagrams/s, %s frames/s" % (rep, m.group(1), fps.group(1) if fps else "?"))


def bench_ui_flood():
    """The real app headless under a 100,000 datagrams/s flood: benches/ui_flood.rs, 60 Hz pacing."""
    for rep, out in app_bench_runs("ui_flood", "GUI under a flood (headless app, 60 Hz frames)", "flood_raw"):
        m = re.search(r"frames, ([\d.]+) frames/s", out)
        if not m:
            log("ui_flood printed no frame rate: " + out[-800:])
            return
        R.add("flood_fps", float(m.group(1)))
        p99 = re.search(r"frame \(step \+ tessellate\): min [\d.]+ / median [\d.]+ / p99 ([\d.]+)", out)
        if p99:
            R.add("flood_p99", float(p99.group(1)))
        sent = re.search(r"sent (\d+) datagrams in ([\d.]+) s", out)
        drops = re.search(r"RcvbufErrors delta (\d+)", out)
        if sent:
            R.add("flood_rate", int(sent.group(1)) / float(sent.group(2)))
        if sent and drops:
            R.add("flood_drop_pct", 100.0 * int(drops.group(1)) / max(1, int(sent.group(1))))
        log("ui_flood run %d: %s frames/s%s" % (rep, m.group(1), (", p99 %s ms" % p99.group(1)) if p99 else ""))


# ---------------------------------------------------------------------------------------------
# The report.


# ---------------------------------------------------------------------------------------------
# Reading a big capture: `socklab read --summary` against tshark's conversation table and `cat`
# (the disk, here the page cache, is the limit).

def write_udp_capture(path, total_bytes, size=1400):
    """A classic pcap of `size`-byte UDP datagrams, 127.0.0.1:40000 -> 127.0.0.1:9000, 10 µs
    apart, about `total_bytes` long: the frame is built once (valid checksums), only the record
    headers change. Returns the number of packets."""
    import struct
    payload = bytes((i * 7) & 0xFF for i in range(size))
    src, dst = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])
    udp_len = 8 + size

    def csum(data):
        if len(data) % 2:
            data += b"\0"
        s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return (~s) & 0xFFFF

    udp = struct.pack("!HHHH", 40000, 9000, udp_len, 0) + payload
    c = csum(src + dst + struct.pack("!BBH", 0, 17, udp_len) + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frame = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]) + b"\x08\x00" + ip + udp
    rec = struct.Struct("<IIII")
    n = max(1, (total_bytes - 24) // (16 + len(frame)))
    t0 = 1_790_000_000
    with open(path, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        chunk = []
        for i in range(n):
            us = i * 10
            chunk.append(rec.pack(t0 + us // 1_000_000, us % 1_000_000, len(frame), len(frame)))
            chunk.append(frame)
            if len(chunk) >= 2048:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))
    return n


def timed(cmd, timeout, stdout=subprocess.DEVNULL):
    """Runs cmd to its end; returns (seconds, exit code, stdout text or None)."""
    t = time.monotonic()
    p = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)
    secs = time.monotonic() - t
    out = p.stdout.decode(errors="replace") if isinstance(p.stdout, bytes) else None
    if p.returncode != 0:
        log("%s exited %d: %s" % (" ".join(cmd[:3]), p.returncode, p.stderr.decode(errors="replace")[-300:]))
    return secs, p.returncode, out


def bench_read():
    size = (256 if CFG.quick else 1024) << 20
    CFG.read_mib = size >> 20
    # On the disk (not /dev/shm: a GiB of RAM), removed at the end.
    d = tempfile.mkdtemp(prefix="socklab-read-bench-")
    try:
        path = os.path.join(d, "udp-1400.pcap")
        t = time.monotonic()
        n = write_udp_capture(path, size)
        real = os.path.getsize(path)
        CFG.read_packets = n
        log("read: wrote %s (%d packets, %.0f MiB) in %.1f s" % (path, n, real / (1 << 20), time.monotonic() - t))
        cat = ["sh", "-c", 'cat "$0" > /dev/null', path]
        summary = [BIN, "read", path, "--summary", "--json"]
        shark = ["tshark", "-r", path, "-q", "-z", "conv,udp"]
        R.command("the capture read to /dev/null (the disk limit)", ["cat", "udp-1400.pcap", ">", "/dev/null"])
        R.command("SockLab's summary of the capture", [BIN, "read", "udp-1400.pcap", "--summary", "--json"])
        R.command("tshark's UDP conversation table", ["tshark", "-r", "udp-1400.pcap", "-q", "-z", "conv,udp"])
        timed(cat, 600)  # into the page cache: every trial then reads from memory
        for rep in range(CFG.reps):
            secs, _, _ = timed(cat, 600)
            R.add("read_cat", secs)
            secs, code, out = timed(summary, 600, stdout=subprocess.PIPE)
            if code == 0:
                R.add("read_socklab", secs)
                try:
                    v = json.loads(out.strip().splitlines()[-1])
                    CHECKS.setdefault("read_rows", []).append(v.get("rows") == n)
                    if v.get("packets") not in (None, 0):
                        CHECKS.setdefault("read_packets", []).append(v.get("packets") == n)
                except (ValueError, IndexError):
                    CHECKS.setdefault("read_rows", []).append(False)
            if have("tshark"):
                secs, code, _ = timed(shark, 1800)
                if code == 0:
                    R.add("read_tshark", secs)
            log("read run %d: cat %s s, socklab %s s, tshark %s s" % (
                rep + 1, fmt(R.data.get("read_cat", [None])[-1], 2), fmt(R.data.get("read_socklab", [None])[-1], 2),
                fmt((R.data.get("read_tshark") or [None])[-1], 2)))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def read_rows(row):
    s, sh, c = R.get("read_socklab"), R.get("read_tshark"), R.get("read_cat")
    if s is None and c is None:
        return
    mib = getattr(CFG, "read_mib", 1024)
    rt = ratio(med("read_tshark"), med("read_socklab"))
    rc = ratio(med("read_socklab"), med("read_cat"))
    checks = CHECKS.get("read_rows", [])
    ok = None if rt is None or rc is None else (rt >= 5 and rc <= 3 and bool(checks) and all(checks))
    row("Reading a %s MiB capture of 1,400-byte UDP datagrams: `socklab read --summary` (s)" % format(mib, ","),
        "≥ 5× faster than `tshark -r FILE -q -z conv,udp`, ≤ 3× `cat FILE > /dev/null`",
        fmt(s, 2) + "; rows counted right in %d of %d runs" % (sum(1 for x in checks if x), len(checks)),
        "tshark %s; cat (page cache) %s" % (fmt(sh, 2), fmt(c, 2)), ok,
        "%s× faster than tshark; %s× cat" % (fmt(rt, 1), fmt(rc, 2)))


def fmt(v, digits=0, unit=""):
    if v is None:
        return "n/a"
    if isinstance(v, tuple):
        lo, med, hi = v
        if CFG.reps == 1:
            return fmt(med, digits, unit)
        return "%s (%s–%s)" % (fmt(med, digits, unit), fmt(lo, digits), fmt(hi, digits))
    if isinstance(v, float) and math.isnan(v):
        return "n/a"
    s = ("{:,.%df}" % digits).format(v)
    return s + unit


def med(key):
    v = R.get(key)
    return v[1] if v else None


def ratio(a, b):
    return a / b if (a is not None and b) else None


def verdict(ok):
    if isinstance(ok, str):
        return ok
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**not met**"


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=ROOT).stdout.strip()
        except Exception:
            return ""
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = sh(["git", "rev-parse", "--short", "HEAD"])
    if sh(["git", "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes)"
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "commit": commit,
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": os.uname().release,
        "os": sh(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "rustc": sh(["rustc", "--version"]),
        "mem": sh(["sh", "-c", "free -g | awk '/Mem:/ {print $2\" GiB\"}'"]),
        "sockperf": sh(["sh", "-c", "sockperf --version 2>&1 | head -1"]),
        "socat": sh(["sh", "-c", "socat -V 2>/dev/null | grep 'socat version' | head -1"]),
        "iperf3": sh(["sh", "-c", "iperf3 --version 2>/dev/null | head -1"]),
        "packetsender": sh(["sh", "-c", "dpkg-query -W -f='${Version}' packetsender 2>/dev/null"]),
        "python": sys.version.split()[0],
        "somaxconn": sh(["cat", "/proc/sys/net/core/somaxconn"]),
        "ports": sh(["cat", "/proc/sys/net/ipv4/ip_local_port_range"]).replace("\t", "-"),
        "rmem": sh(["cat", "/proc/sys/net/core/rmem_default"]),
    }


def table_rows():
    rows = []

    def row(name, target, socklab, peers, ok, ratio_text=""):
        rows.append((name, target, socklab, peers, ratio_text, verdict(ok)))

    # UDP receive.
    for size in (64, 1400):
        s = R.get("udp_rx_%d_socklab" % size)
        sp = R.get("udp_rx_%d_sockperf" % size)
        py = R.get("udp_rx_%d_python" % size)
        r = ratio(med("udp_rx_%d_socklab" % size), med("udp_rx_%d_sockperf" % size))
        rpy = ratio(med("udp_rx_%d_socklab" % size), med("udp_rx_%d_python" % size))
        ok = None if r is None else (r >= 0.9 and (rpy or 0) > 1.5)
        nlim = len(R.notes.get("udp_rx_%d_socklab" % size, []))
        limited = " (%d of %d runs reached the sender's top rate)" % (nlim, len(s or [])) if nlim else ""
        row("UDP receive, %d-byte datagrams: highest zero-loss rate (datagrams/s)" % size,
            "≥ 90 % of `sockperf sr`, far above Python",
            fmt(s) + limited, "sockperf sr %s; Python %s" % (fmt(sp), fmt(py)), ok,
            "%s of sockperf; %s× Python" % (fmt(r * 100 if r else None, 1, " %"), fmt(rpy, 2)))
        sy = R.get("udp_rx_%d_socklab_sys" % size)
        if sy:
            rs = ratio(med("udp_rx_%d_socklab_sys" % size), med("udp_rx_%d_sockperf" % size))
            rspy = ratio(med("udp_rx_%d_socklab_sys" % size), med("udp_rx_%d_python" % size))
            row("… the same, SockLab with the system's default buffer (`--so-rcvbuf system`), as the peers have",
                "reference", fmt(sy), "sockperf sr %s; Python %s" % (fmt(sp), fmt(py)), "reference",
                "%s of sockperf; %s× Python" % (fmt(rs * 100 if rs else None, 1, " %"), fmt(rspy, 2)))
    # Round trip.
    for p in ("p50", "p99"):
        s, sp, py, pp = (R.get("rtt_%s_%s" % (p, k)) for k in ("socklab", "sockperf", "python", "sockperf_pp"))
        r = ratio(med("rtt_%s_socklab" % p), med("rtt_%s_sockperf" % p))
        row("UDP round trip, 64 B, %s (µs)" % ("median" if p == "p50" else "p99"),
            "≤ 1.25 × `sockperf sr`",
            fmt(s, 1), "sockperf sr %s; Python %s; sockperf pp→sr %s" % (fmt(sp, 1), fmt(py, 1), fmt(pp, 1)),
            None if r is None else r <= 1.25, "%s×" % fmt(r, 2))
    # TLS.
    s, sx = R.get("tls_echo_socklab"), R.get("tls_echo_socat")
    r = ratio(med("tls_echo_socklab"), med("tls_echo_socat"))
    row("TLS echo through the TLS server, 64 KiB writes (MiB/s)", "≥ 1.0 × `socat OPENSSL-LISTEN,fork PIPE`",
        fmt(s, 1), "socat %s" % fmt(sx, 1), None if r is None else r >= 1.0, "%s×" % fmt(r, 2))
    s, sx = R.get("tls_hs_socklab"), R.get("tls_hs_socat")
    fs, fx = med("tls_hs_failed_socklab"), med("tls_hs_failed_socat")
    row("1,000 concurrent TLS handshakes + one line each (handshakes/s)", "0 failures, next to socat's and `openssl s_time`",
        "%s (%s failed)" % (fmt(s), fmt(fs)), "socat %s (%s failed); s_time: socklab %s/s, socat %s/s" % (
            fmt(sx), fmt(fx), fmt(med("tls_stime_socklab")), fmt(med("tls_stime_socat"))),
        None if fs is None else fs == 0, "%s×" % fmt(ratio(med("tls_hs_socklab"), med("tls_hs_socat")), 2))
    # Load tests.
    for proto in ("udp", "tcp"):
        s, sp = R.get("load_pp_%s_p50_socklab" % proto), R.get("load_pp_%s_p50_sockperf" % proto)
        s99, sp99 = R.get("load_pp_%s_p99_socklab" % proto), R.get("load_pp_%s_p99_sockperf" % proto)
        r = ratio(med("load_pp_%s_p50_socklab" % proto), med("load_pp_%s_p50_sockperf" % proto))
        row("`bench %s --mode pingpong` vs `socklab %s --reply echo`: round trip p50 (µs)" % (proto, "udp" if proto == "udp" else "tcp-server"),
            "≤ 1.5 × `sockperf pp%s` → `sockperf sr`" % (" --tcp" if proto == "tcp" else ""),
            "%s (p99 %s)" % (fmt(s, 1), fmt(s99, 1)), "sockperf pp→sr %s (p99 %s)" % (fmt(sp, 1), fmt(sp99, 1)),
            None if r is None else r <= 1.5, "%s×" % fmt(r, 2))
    s, sp = R.get("load_blast_socklab"), R.get("load_blast_sockperf")
    r = ratio(med("load_blast_socklab"), med("load_blast_sockperf"))
    row("`bench udp --mode blast`, 64 B, max (datagrams/s)", "≥ `sockperf tp`", fmt(s), "sockperf tp %s" % fmt(sp),
        None if r is None else r >= 1.0, "%s×" % fmt(r, 2))
    s, py = R.get("load_churn_socklab"), R.get("load_churn_python")
    r = ratio(med("load_churn_socklab"), med("load_churn_python"))
    row("`bench tcp --mode churn` on the tutorial's threaded server, 4 at a time (connections/s)",
        "≥ 2 × a Python client doing the same", fmt(s), "Python %s" % fmt(py), None if r is None else r >= 2.0,
        "%s×; the server used %s %% of a core (%s %% under Python)" % (
            fmt(r, 2), fmt(med("load_churn_server_cpu_socklab"), 0), fmt(med("load_churn_server_cpu_python"), 0)))
    s, py = R.get("load_churn2_socklab"), R.get("load_churn2_python")
    r = ratio(med("load_churn2_socklab"), med("load_churn2_python"))
    row("`bench tcp --mode churn` on `socklab tcp-server --reply hello`, 4 at a time (connections/s)",
        "reference (a server that is not the bottleneck)", fmt(s), "Python %s" % fmt(py), "reference", "%s×" % fmt(r, 2))
    # Senders.
    s, sp, pk, py = (R.get("send_%s" % k) for k in ("socklab", "sockperf", "packetsender", "python"))
    r = ratio(med("send_socklab"), med("send_sockperf"))
    rpk = ratio(med("send_socklab"), med("send_packetsender"))
    ok = None if r is None else (r >= 0.8 and (rpk is None or rpk > 1.0))
    row("UDP sender, 64 B, `udp --rate max` (datagrams/s)", "≥ 80 % of `sockperf tp`, above `packetsender --num`",
        fmt(s), "sockperf tp %s; packetsender %s; Python %s" % (fmt(sp), fmt(pk), fmt(py)), ok,
        "%s of sockperf; %s× packetsender" % (fmt(r * 100 if r else None, 1, " %"), fmt(rpk, 1)))
    g = R.get("send_gui")
    rg = ratio(med("send_gui"), med("send_sockperf"))
    rgpk = ratio(med("send_gui"), med("send_packetsender"))
    if g:
        row("UDP sender, 64 B, the GUI's traffic generator, \"as fast as possible\" (datagrams/s)",
            "≥ 80 % of `sockperf tp`, above `packetsender --num`",
            fmt(g), "sockperf tp %s; packetsender %s; frames/s meanwhile %s" % (
                fmt(sp), fmt(pk), fmt(R.get("send_gui_fps"), 1)),
            None if rg is None else (rg >= 0.8 and (rgpk is None or rgpk > 1.0)),
            "%s of sockperf; %s× packetsender" % (fmt(rg * 100 if rg else None, 1, " %"), fmt(rgpk, 1)))
    else:
        row("UDP sender, the GUI's traffic generator", "≥ 80 % of `sockperf tp`", "not measured",
            "not run (`--only gui-send` runs benches/ui_generator.rs)", None)
    # TCP throughput.
    s, so, ip = R.get("tcp_socklab"), R.get("tcp_socat"), R.get("tcp_iperf3")
    r = ratio(med("tcp_socklab"), med("tcp_socat"))
    row("TCP echo throughput, one connection, 64 KiB writes (MiB/s)", "≥ 80 % of `socat` echo",
        fmt(s), "socat %s; iperf3 (one way, the limit) %s" % (fmt(so), fmt(ip)), None if r is None else r >= 0.8,
        "%s of socat" % fmt(r * 100 if r else None, 1, " %"))
    # TCP scale.
    n = CFG.clients
    f, fpy = R.get("scale_fail_socklab"), R.get("scale_fail_python")
    ok = None if f is None else f[2] == 0
    row("TCP scale: %s hello clients, failures" % format(n, ","), "0, one worker thread", fmt(f),
        "Python threads %s" % fmt(fpy), ok)
    row("TCP scale: time to serve all (s)", "reported", fmt(R.get("scale_serve_socklab"), 2),
        "Python threads %s" % fmt(R.get("scale_serve_python"), 2), None if f is None else True,
        "%s× faster" % fmt(ratio(med("scale_serve_python"), med("scale_serve_socklab")), 1))
    row("TCP scale: accepted connections/s", "reported", fmt(R.get("scale_cps_socklab")),
        "Python threads %s" % fmt(R.get("scale_cps_python")), None if f is None else True)
    rss = R.get("scale_rss_socklab")
    row("TCP scale: server RSS with %s idle clients (MiB)" % format(n, ","), "≤ 100 MiB",
        fmt(rss, 1), "Python threads %s" % fmt(R.get("scale_rss_python"), 1),
        None if rss is None else rss[2] <= 100,
        "threads: %s vs %s" % (fmt(R.get("scale_threads_socklab")), fmt(R.get("scale_threads_python"))))
    relay_rows(row)
    read_rows(row)
    # GUI.
    c = R.get("gui_idle_cpu")
    row("GUI idle CPU, all tabs open, 10 s (% of a core)", "≤ 1 %", fmt(c, 2, " %"), "", None if c is None else c[2] <= 1.0)
    st = R.get("gui_startup")
    row("GUI start-up to first frame (s)", "≤ 1 s", fmt(st, 3), "", None if st is None else st[1] <= 1.0)
    row("GUI RSS at idle (MiB)", "reported", fmt(R.get("gui_rss"), 1), "", None if R.get("gui_rss") is None else True)
    fl = R.get("flood_fps")
    if fl:
        row("GUI under a 100,000 datagrams/s flood (frames/s, 60 Hz pacing)", "≥ 30 frames/s", fmt(fl, 1),
            "p99 frame time %s ms; flood %s datagrams/s, kernel drops %s" % (
                fmt(R.get("flood_p99"), 2), fmt(R.get("flood_rate")), fmt(R.get("flood_drop_pct"), 1, " %")),
            fl[0] >= 30)
    else:
        row("GUI under a 100,000 datagrams/s flood (frames/s, 60 Hz pacing)", "≥ 30 frames/s",
            "60.0 (cited)", "from docs/performance.md, not run here", None)
    # Build.
    size = R.get("bin_size")
    row("Release binary size (MiB)", "reported", fmt(size, 1), "", None if size is None else True)
    bt = R.get("build_clean")
    row("Clean release build (s)", "reported", fmt(bt, 0) if bt else "n/a (not a clean build this run)",
        ("incremental build this run: %s s" % fmt(R.get("build_incremental"), 0)) if R.get("build_incremental") else "",
        None if bt is None else True)
    return rows


def relay_rows(row):
    # TCP relay throughput.
    s, so, d = R.get("relay_tcp_socklab"), R.get("relay_tcp_socat"), R.get("relay_tcp_direct")
    r = ratio(med("relay_tcp_socklab"), med("relay_tcp_socat"))
    row("TCP relay throughput: one client, 64 KiB writes, through the relay to an echo server (MiB/s)",
        "≥ `socat` relay", fmt(s), "socat relay %s; direct, no relay (the limit) %s" % (fmt(so), fmt(d)),
        None if r is None else r >= 1.0, "%s of socat; %s of direct" % (
            fmt(r * 100 if r else None, 1, " %"), fmt(ratio(med("relay_tcp_socklab"), med("relay_tcp_direct")) and
                                                   100 * ratio(med("relay_tcp_socklab"), med("relay_tcp_direct")), 1, " %")))
    # Added latency.
    a, aso = R.get("relay_added_socklab"), R.get("relay_added_socat")
    r = ratio(med("relay_added_socklab"), med("relay_added_socat"))
    row("TCP relay added round-trip latency, 64 B ping-pong, one CPU (µs: relay median − direct median)",
        "≤ 1.25 × socat's", fmt(a, 1), "socat %s; medians: direct %s, through SockLab %s, through socat %s" % (
            fmt(aso, 1), fmt(R.get("relay_rtt_p50_direct"), 1), fmt(R.get("relay_rtt_p50_socklab"), 1),
            fmt(R.get("relay_rtt_p50_socat"), 1)),
        None if a is None or aso is None else (a[1] <= 1.25 * aso[1] if aso[1] > 0 else a[1] <= aso[1]),
        "%s×" % fmt(r, 2))
    # Concurrent relayed connections.
    n = CFG.relay_clients
    f, fso = R.get("relay_conc_fail_socklab"), R.get("relay_conc_fail_socat")
    rss, rso = R.get("relay_conc_rss_socklab"), R.get("relay_conc_rss_socat")
    row("TCP relay: %s concurrent relayed connections, one exchange each, held open: failures" % format(n, ","),
        "0", fmt(f), "socat relay %s" % fmt(fso), None if f is None else f[2] == 0,
        "all served in %s s (socat %s s)" % (fmt(R.get("relay_conc_serve_socklab"), 2),
                                             fmt(R.get("relay_conc_serve_socat"), 2)))
    row("TCP relay: RSS with %s relayed connections open (MiB)" % format(n, ","), "≤ 100 MiB", fmt(rss, 1),
        "socat relay, parent + its %s forked children: VmRSS summed %s, Pss summed %s; SockLab's Pss %s" % (
            format(n, ","), fmt(rso, 1), fmt(R.get("relay_conc_pss_socat"), 1), fmt(R.get("relay_conc_pss_socklab"), 1)),
        None if rss is None else rss[2] <= 100,
        "threads: %s; idle before %s MiB" % (fmt(R.get("relay_conc_threads_socklab")),
                                             fmt(R.get("relay_conc_rss0_socklab"), 1)))
    # UDP relay.
    u, uso, ud = R.get("relay_udp_socklab"), R.get("relay_udp_socat"), R.get("relay_udp_direct")
    checks = CHECKS["relay_udp"]
    ok = None if u is None else (u[1] >= 100_000 and bool(checks) and all(checks))
    row("UDP relay rate, 64 B, %s datagrams from `udp --rate max` (datagrams/s at the server)" % format(
        CFG.relay_udp_count, ","), "≥ 100,000/s; received + dropped = sent",
        fmt(u) + "; lost %s; counts add up in %d of %d runs" % (
            fmt(R.get("relay_udp_loss_socklab"), 1, " %"), sum(1 for c in checks if c), len(checks)),
        "socat has no comparable UDP relay (with fork it splits one client over several children and loses "
        "most datagrams): one socat session without fork %s, lost %s; direct, no relay %s" % (
            fmt(uso), fmt(R.get("relay_udp_loss_socat"), 1, " %"), fmt(ud)),
        ok, "%s of direct" % fmt(ratio(med("relay_udp_socklab"), med("relay_udp_direct")) and
                                  100 * ratio(med("relay_udp_socklab"), med("relay_udp_direct")), 1, " %"))


MARKER = "<!-- bench/compare writes everything below this line; edit the text above it by hand. -->"


def write_report(path, started, info):
    # The hand-written part above the marker in docs/benchmarks.md is kept; the rest is this run's.
    intro = "# Benchmarks\n"
    doc = ROOT / "docs" / "benchmarks.md"
    if doc.exists():
        old = doc.read_text()
        if MARKER in old:
            intro = old.split(MARKER)[0]
    out = [intro.rstrip() + "\n", MARKER, "\n## Results of the last run\n"]
    out.append("Generated by `bench/compare%s` on %s (commit %s) in %.0f s. %s\n" % (
        " --quick" if CFG.quick else "", info["date"], info["commit"], time.monotonic() - started,
        "Each figure is the median of %d runs, with the lowest and highest in brackets." % CFG.reps
        if CFG.reps > 1 else "`--quick`: each figure is one run, with smaller counts."))
    out.append("| measurement | target | SockLab | peers, same run | ratio | result |")
    out.append("|---|---|---|---|---|---|")
    for r in table_rows():
        out.append("| " + " | ".join(r) + " |")
    out.append("")
    load = LOAD_BEFORE
    out.append("### Machine\n")
    out.append("| | |\n|---|---|")
    for k, v in [("CPU", "%s, `nproc` = %s" % (info["cpu"], info["nproc"])), ("memory", info["mem"]),
                 ("load average (1, 5, 15 min) at the start", " ".join(load)),
                 ("1-min load average as each part began", ", ".join("%s %s" % x for x in SECTION_LOAD)
                  + (" (the Python hello server's 10,001 threads inflate the figures after the TCP scale part)"
                     if any(name == "scale" for name, _ in SECTION_LOAD[:-1]) else "")),
                 ("kernel", info["kernel"]), ("OS", info["os"]), ("Rust", info["rustc"]), ("Python", info["python"]),
                 ("sockperf", info["sockperf"] or "missing"), ("socat", info["socat"] or "missing"),
                 ("iperf3", info["iperf3"] or "missing"), ("packetsender", info["packetsender"] or "missing"),
                 ("net.core.somaxconn", info["somaxconn"]), ("ephemeral ports", info["ports"]),
                 ("net.core.rmem_default", info["rmem"] + " bytes (every receiver keeps the default SO_RCVBUF)")]:
        out.append("| %s | %s |" % (k, v))
    out.append("\n### Commands\n")
    out.append("PORT is a free port in 21000–29999, a new one for every run.\n")
    out.append("```sh")
    for what, cmd in R.commands:
        out.append("# %s\n%s" % (what, cmd))
    out.append("```\n")
    notes = []
    if CHECKS["trials"]:
        notes.append("- UDP receive: in %d of %d runs the receiver's count plus the kernel's drop counter for its "
                     "socket (`/proc/net/udp`) equalled the datagrams sent%s" % (
                         CHECKS["trials"] - len(CHECKS["mismatch"]), CHECKS["trials"],
                         "" if not CHECKS["mismatch"] else "; not in: " + "; ".join(CHECKS["mismatch"][:5])))
    for k, v in sorted(R.notes.items()):
        if k.endswith("_raw"):
            continue
        # The same note from several runs once, with how many runs gave it.
        seen = []
        for x in v:
            if x not in seen:
                seen.append(x)
        notes.append("- `%s`: %s" % (k, "; ".join(
            "%s (%d of %d runs)" % (x, v.count(x), CFG.reps) if CFG.reps > 1 else str(x) for x in seen)))
    if notes:
        out.append("### Notes from the run\n")
        out.extend(notes)
        out.append("")
    out.append("### Every figure\n")
    out.append("Each run's value, in the order measured.\n")
    out.append("```")
    for k in sorted(R.data):
        out.append("%-28s %s" % (k, ", ".join(fmt_raw(x) for x in R.data[k])))
    out.append("```")
    for key, bench in (("send_gui_raw", "ui_generator"), ("flood_raw", "ui_flood")):
        raw = R.notes.get(key)
        if raw:
            out.append("\nLast `%s` output:\n\n```" % bench)
            out.extend(raw[-1])
            out.append("```")
    Path(path).write_text("\n".join(out) + "\n")


def fmt_raw(x):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return "%.4g" % x if abs(x) < 1000 else "%.0f" % x
    return str(x)


# ---------------------------------------------------------------------------------------------


class Cfg:
    pass


def main():
    global BIN, CFG, TMP, SEND, LOAD_BEFORE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="each measurement once, smaller counts")
    ap.add_argument("--bin", default=None, help="the socklab release binary")
    ap.add_argument("--out", default=None,
                    help="where to write the report (default docs/benchmarks.md; with --quick, a file in /tmp)")
    ap.add_argument("--only", default="", help="comma list: udp-rx,rtt,send,load,gui-send,tcp,tls,scale,relay,read,gui,flood (development)")
    ap.add_argument("--no-ui-flood", action="store_true", help="cite the flood figures instead of running benches/ui_flood.rs")
    ap.add_argument("--sender", choices=["socklab", "sockperf"], default="socklab",
                    help="the fixed-rate sender of the zero-loss search (default: socklab's generator, which sleeps "
                         "between batches; sockperf tp busy-waits on a core)")
    ap.add_argument("--build-seconds", type=float, default=None)
    ap.add_argument("--build-clean", action="store_true", help="the build before this run was a clean one")
    a = ap.parse_args()

    if a.out is None:
        a.out = str(ROOT / "docs" / "benchmarks.md") if not a.quick else os.path.join(
            tempfile.gettempdir(), "socklab-benchmarks-quick.md")
    CFG = Cfg()
    CFG.quick = a.quick
    CFG.reps = 1 if a.quick else 3
    CFG.trial = 1
    CFG.start_rate = 25000
    CFG.bisect = 3 if a.quick else 4
    CFG.max_trials = 14 if a.quick else 20
    CFG.rtt_secs = 2 if a.quick else 6
    CFG.pp_secs = 1 if a.quick else 2
    CFG.send_count = 200_000 if a.quick else 500_000
    CFG.send_secs = 1 if a.quick else 2
    CFG.packetsender_count = 50_000 if a.quick else 200_000
    CFG.py_send_count = 100_000 if a.quick else 300_000
    CFG.tcp_secs = 1 if a.quick else 3
    CFG.clients = 10_000
    CFG.idle_secs = 10
    CFG.relay_rtts = 2000 if a.quick else 10000
    CFG.relay_clients = 1000
    CFG.relay_udp_count = 200_000

    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    BIN = a.bin or str(Path(target) / "release" / "socklab")
    if not os.access(BIN, os.X_OK):
        sys.exit("compare.py: no release binary at %s (bench/compare builds it)" % BIN)
    TMP = tempfile.mkdtemp(prefix="socklab-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    # A private copy: a build running meanwhile (another checkout sharing CARGO_TARGET_DIR) must
    # not swap the binary in the middle of the run.
    size = os.path.getsize(BIN)
    shutil.copy2(BIN, os.path.join(TMP, "socklab"))
    BIN = os.path.join(TMP, "socklab")
    SEND = sockperf_send if a.sender == "sockperf" and have("sockperf") else socklab_send
    LOAD_BEFORE = open("/proc/loadavg").read().split(" ", 3)[:3]
    signal.signal(signal.SIGTERM, lambda *_: (cleanup(), sys.exit(1)))
    started = time.monotonic()
    only = set(x for x in a.only.split(",") if x)
    def want(name):
        if only and name not in only:
            return False
        SECTION_LOAD.append((name, open("/proc/loadavg").read().split()[0]))
        return True
    log("SockLab %s, %s mode, load %s" % (BIN, "quick" if a.quick else "full", " ".join(LOAD_BEFORE)))
    R.add("bin_size", size / (1 << 20))
    if a.build_seconds is not None:
        R.add("build_clean" if a.build_clean else "build_incremental", a.build_seconds)
    try:
        if want("udp-rx"):
            bench_udp_receive()
        if want("rtt"):
            bench_udp_rtt()
        if want("send"):
            bench_senders()
        if want("load"):
            bench_load()
        if (not a.quick or "gui-send" in only) and want("gui-send"):
            bench_gui_generator()
        if want("tcp"):
            bench_tcp_throughput()
        if want("tls"):
            bench_tls()
        if want("scale"):
            bench_tcp_scale()
        if want("relay"):
            bench_relay()
        if want("read"):
            bench_read()
        if want("gui"):
            bench_gui()
        if not a.quick and not a.no_ui_flood and want("flood"):
            bench_ui_flood()
    except KeyboardInterrupt:
        log("interrupted: writing what was measured")
    finally:
        cleanup()
        shutil.rmtree(TMP, ignore_errors=True)
    info = machine()
    write_report(a.out, started, info)
    log("wrote %s (%.0f s)" % (a.out, time.monotonic() - started))
    for r in table_rows():
        print("  %-70s %-28s %s" % (r[0][:70], r[2], r[5]))


if __name__ == "__main__":
    main()
