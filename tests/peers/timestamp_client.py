# The tutorial's client.py for its timestamp server (lesson 5): send a line, print the reply.
import sys
from socket import *

tcpCliSock = socket(AF_INET, SOCK_STREAM)
tcpCliSock.settimeout(10)
tcpCliSock.connect(('127.0.0.1', int(sys.argv[1])))
for data in sys.argv[2:]:
    tcpCliSock.send(data.encode('utf-8'))
    data = tcpCliSock.recv(1024)
    if not data:
        break
    print(data.decode('utf-8'))
tcpCliSock.close()
