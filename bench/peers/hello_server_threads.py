# The tutorial's threaded hello server (lesson 4) as a benchmark peer: one thread per client,
# "welcome!", then "hello, NAME!" for every message, "exit" (or the client closing) ends it.
#   python3 hello_server_threads.py PORT [BACKLOG]
# The tutorial calls listen(5); the benchmark passes the same backlog as SockLab's default
# (1024) so the comparison is about one thread per client, not about the accept queue.
# Prints "ready" once listening. SIGINT/SIGTERM ends it (daemon threads die with it); it also
# exits by itself after 300 s.
import signal
import socket
import sys
import threading

port = int(sys.argv[1])
backlog = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def tcplink(sock, addr):
    try:
        sock.send(b'welcome!')
        while True:
            data = sock.recv(1024)
            if not data or data.decode('utf-8') == 'exit':
                break
            sock.send(('hello, %s!' % data.decode('utf-8')).encode('utf-8'))
    except OSError:
        pass
    sock.close()


def stop(signum, frame):
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGALRM, stop)
signal.alarm(300)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen(backlog)
print("ready", flush=True)
try:
    while True:
        sock, addr = s.accept()
        t = threading.Thread(target=tcplink, args=(sock, addr), daemon=True)
        t.start()
except KeyboardInterrupt:
    pass
s.close()
