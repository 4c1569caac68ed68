# The tutorial's file downloader client (lesson 5), non-interactive for tests:
#   python3 file_client.py IP PORT NAME
# It sends the name (UTF-8), reads the answer with one recv(1024) as the tutorial does, prints
# it, and saves it in the current folder.
# One change for safety: the tutorial opens download_file_name itself for writing, so asking for
# ../x or /etc/passwd would also overwrite that path here. This saves under the last part of the
# name only, and only when something arrived.
import os
import socket
import sys

client_s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client_s.settimeout(10)
server_ip = sys.argv[1]
server_port = int(sys.argv[2])
client_s.connect((server_ip, server_port))
print("connected to the server (%s)" % server_ip)
download_file_name = sys.argv[3]
client_s.send(download_file_name.encode("utf-8"))
content = client_s.recv(1024)
print("received:", repr(content))
if content:
    local_name = os.path.basename(download_file_name.replace("\\", "/"))
    with open(local_name, "w", encoding="gbk", newline="") as f:
        f.write(content.decode("gbk"))
    print("downloaded (%s)" % local_name)
client_s.close()
