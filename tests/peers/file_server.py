# The tutorial's file downloader server (lesson 5), bounded for tests:
#   python3 file_server.py IP PORT
# Prints the port it listens on, serves ONE client, exits. It opens the name the client sends,
# relative to the current folder, exactly as the tutorial does: that is the hole SockLab's
# file-server closes. Tests run it on 127.0.0.1 in a temporary folder only.
import socket
import sys

server_s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_s.settimeout(10)
server_s.bind((sys.argv[1], int(sys.argv[2])))
server_s.listen(128)
print(server_s.getsockname()[1], flush=True)
new_s, client_info = server_s.accept()
new_s.settimeout(10)
download_file_name = new_s.recv(1024).decode("utf-8")
with open(download_file_name, "r", encoding="gbk", newline="") as f:
    content = f.read()
new_s.send(content.encode("gbk"))
new_s.close()
server_s.close()
