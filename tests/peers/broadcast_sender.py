# The tutorial's broadcast sender (lesson 1): SO_BROADCAST, sendto the broadcast address.
# Only ever to 127.255.255.255 (this machine). argv: port, message.
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.sendto(sys.argv[2].encode('utf-8'), ('127.255.255.255', int(sys.argv[1])))
s.close()
