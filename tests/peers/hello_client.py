# The tutorial's client for the threaded hello server (lesson 4):
# print the welcome, send three names, print each answer, send exit.
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(('127.0.0.1', int(sys.argv[1])))
print(s.recv(1024).decode('utf-8'))
for data in [b'Michael', b'Tracy', b'Sarah']:
    s.send(data)
    print(s.recv(1024).decode('utf-8'))
s.send(b'exit')
print('after exit:', repr(s.recv(1024)))
s.close()
