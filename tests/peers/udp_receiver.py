# A UDP receiver from the tutorial (lesson 3): bind, print the port, recvfrom(1024) once, reply.
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
data, addr = s.recvfrom(1024)
print("%s(%d)>>>%s" % (addr[0], addr[1], data.decode('utf-8')), flush=True)
s.sendto(b'hello, ' + data + b'!', addr)
