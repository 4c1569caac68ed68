# The tutorial's UDP chat (lesson 3): bind, sendto, recvfrom(1024), print "ip(port)>>>text".
# argv: target port, message, encoding.
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind(('127.0.0.1', 0))
enc = sys.argv[3] if len(sys.argv) > 3 else 'utf-8'
s.sendto(sys.argv[2].encode(enc), ('127.0.0.1', int(sys.argv[1])))
recv_content, client_info = s.recvfrom(1024)
print("%s(%d)>>>%s" % (client_info[0], client_info[1], recv_content.decode(enc)))
s.close()
