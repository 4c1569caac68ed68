# The tutorial's threaded server (lesson 4): welcome!, hello, %s!, exit closes.
# Bounded for tests: prints its port, serves argv[1] clients, each in a thread, then exits.
import socket
import sys
import threading

def tcplink(sock, addr):
    sock.send(b'welcome!')
    while True:
        data = sock.recv(1024)
        if not data or data.decode('utf-8') == 'exit':
            break
        sock.send(('hello, %s!' % data.decode('utf-8')).encode('utf-8'))
    sock.close()

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(10)
s.bind(('127.0.0.1', 0))
s.listen(5)
print(s.getsockname()[1], flush=True)
threads = []
for _ in range(int(sys.argv[1])):
    sock, addr = s.accept()
    sock.settimeout(10)
    t = threading.Thread(target=tcplink, args=(sock, addr))
    t.start()
    threads.append(t)
for t in threads:
    t.join()
