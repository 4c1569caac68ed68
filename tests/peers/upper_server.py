# The tutorial's TCP server with a connection loop (lesson 2): recv(1024), send(data.upper()).
# Bounded for tests: binds 127.0.0.1:0, prints its port, serves one client, gives up after 10 s.
import socket

soc = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
soc.settimeout(10)
soc.bind(('127.0.0.1', 0))
soc.listen(5)
print(soc.getsockname()[1], flush=True)
conn, addr = soc.accept()
conn.settimeout(10)
while True:
    try:
        data = conn.recv(1024)
        if len(data) == 0:
            break
        conn.send(data.upper())
    except Exception:
        break
conn.close()
soc.close()
