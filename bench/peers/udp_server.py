# The tutorial's UDP server (lesson 3), as a benchmark peer: bind, then a recvfrom(1024) loop.
#   python3 udp_server.py PORT [BUFSIZE] [echo]
# Prints "ready" once bound. It counts the datagrams instead of printing each one (the tutorial
# prints "ip(port)>>>text": that would only make it slower). With "echo" it sends every datagram
# back with sendto, the tutorial's reply. SIGINT or SIGTERM: prints "received N" and exits.
# Bound in time: it exits by itself after 60 s without a datagram.
import signal
import socket
import sys

port = int(sys.argv[1])
bufsize = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
echo = len(sys.argv) > 3 and sys.argv[3] == "echo"
count = 0


def stop(signum, frame):
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, stop)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(60)
s.bind(('127.0.0.1', port))
print("ready", flush=True)
try:
    while True:
        recv_content, client_info = s.recvfrom(bufsize)
        count += 1
        if echo:
            s.sendto(recv_content, client_info)
except (KeyboardInterrupt, socket.timeout):
    pass
print("received %d" % count, flush=True)
s.close()
