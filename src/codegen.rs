//! The equivalent Python (in the tutorial's style) and Rust `std::net` code for what a tab is set
//! up to do, so a student sees which socket calls make it happen.

use std::net::SocketAddr;

use crate::codec::Encoding;
use crate::engine::ReplyMode;

/// What a tab does, with the settings that matter for the code.
#[derive(Clone, Debug, PartialEq)]
pub enum Setup {
    Udp {
        bind: String,
        remote: String,
        encoding: Encoding,
        recv_buffer: usize,
    },
    TcpServer {
        bind: String,
        backlog: i32,
        reuse_addr: bool,
        reply: ReplyMode,
        encoding: Encoding,
        recv_buffer: usize,
        nodelay: bool,
    },
    TcpClient {
        server: String,
        encoding: Encoding,
        recv_buffer: usize,
        nodelay: bool,
    },
    BroadcastReceiver {
        port: u16,
    },
    BroadcastSender {
        to: String,
        port: u16,
        encoding: Encoding,
    },
}

/// `("127.0.0.1", 9999)` and whether it is IPv6, from `ip:port` text (falls back to the text).
fn py_addr(text: &str) -> (String, bool) {
    match text.trim().parse::<SocketAddr>() {
        Ok(a) => (format!("(\"{}\", {})", a.ip(), a.port()), a.is_ipv6()),
        Err(_) => match text.trim().rsplit_once(':') {
            Some((h, p)) => (format!("(\"{}\", {})", h.trim_matches(['[', ']']), p), false),
            None => (format!("(\"{}\", 0)", text.trim()), false),
        },
    }
}

fn py_enc(e: Encoding) -> &'static str {
    match e {
        Encoding::Utf8 => "utf-8",
        Encoding::Gbk => "gbk",
    }
}

fn family(v6: bool) -> &'static str {
    if v6 { "socket.AF_INET6" } else { "socket.AF_INET" }
}

/// Python 3, in the style of the tutorial.
pub fn python(s: &Setup) -> String {
    match s {
        Setup::Udp { bind, remote, encoding, recv_buffer } => {
            let (b, v6) = py_addr(bind);
            let (r, _) = py_addr(remote);
            let e = py_enc(*encoding);
            format!(
                r#"import socket

# UDP: no connection, every datagram carries its destination
s = socket.socket({fam}, socket.SOCK_DGRAM)
s.bind({b})
print("bound to", s.getsockname())
s.sendto("hello".encode("{e}"), {r})
s.settimeout(5)
data, addr = s.recvfrom({recv_buffer})  # waits for a datagram from anyone
print("%s:%d >>> %s" % (addr[0], addr[1], data.decode("{e}", "replace")))
s.close()
"#,
                fam = family(v6)
            )
        }
        Setup::TcpServer { bind, backlog, reuse_addr, reply, encoding, recv_buffer, nodelay } => {
            let nagle = if *nodelay {
                "    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # Nagle off: small sends leave at once\n"
            } else {
                ""
            };
            let (b, v6) = py_addr(bind);
            let e = py_enc(*encoding);
            let reuse = if *reuse_addr { "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n" } else { "" };
            let (greet, answer) = match reply {
                ReplyMode::None => ("", "        print(addr, \">>>\", data.decode(\"ENC\", \"replace\"))\n".to_string()),
                ReplyMode::Echo => ("", "        conn.send(data)\n".to_string()),
                ReplyMode::Upper => ("", "        conn.send(data.upper())\n".to_string()),
                ReplyMode::Timestamp => (
                    "",
                    "        msg = time.strftime(\"%Y-%m-%d %X\")\n        conn.send((\"[%s]:%s\" % (msg, data.decode(\"ENC\"))).encode(\"ENC\"))\n"
                        .to_string(),
                ),
                ReplyMode::Hello => (
                    "    conn.send(b\"welcome!\")\n",
                    "        if data.decode(\"ENC\") == \"exit\":\n            break\n        conn.send((\"hello, %s!\" % data.decode(\"ENC\")).encode(\"ENC\"))\n"
                        .to_string(),
                ),
            };
            let answer = answer.replace("ENC", e);
            let import_time = if *reply == ReplyMode::Timestamp { "import time\n" } else { "" };
            format!(
                r#"import socket
{import_time}
# TCP server: listen, then accept() one connected socket per client
s = socket.socket({fam}, socket.SOCK_STREAM)
{reuse}s.bind({b})
s.listen({backlog})
while True:
    conn, addr = s.accept()  # waits for a client; the handshake is already done
    print("connected:", addr)
{nagle}{greet}    while True:
        data = conn.recv({recv_buffer})
        if not data:  # recv() returned b'': the client closed its side
            break
{answer}    conn.close()
"#,
                fam = family(v6)
            )
        }
        Setup::TcpClient { server, encoding, recv_buffer, nodelay } => {
            let (a, v6) = py_addr(server);
            let e = py_enc(*encoding);
            let nagle = if *nodelay {
                "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # Nagle off: small sends leave at once\n"
            } else {
                ""
            };
            format!(
                r#"import socket

# TCP client: connect() does the three-way handshake
s = socket.socket({fam}, socket.SOCK_STREAM)
s.settimeout(5)
{nagle}s.connect({a})
s.send("hello".encode("{e}"))
s.shutdown(socket.SHUT_WR)  # half-close: "no more from me", we can still receive
while True:
    data = s.recv({recv_buffer})
    if not data:  # the server closed its side too
        break
    print(data.decode("{e}", "replace"))
s.close()
"#,
                fam = family(v6)
            )
        }
        Setup::BroadcastReceiver { port } => format!(
            r#"import socket

# Broadcast receiver: bind to all addresses; SO_REUSEADDR lets several receivers share the port
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", {port}))
while True:
    data, addr = s.recvfrom(65536)
    print("%s:%d >>> %s" % (addr[0], addr[1], data.decode("utf-8", "replace")))
"#
        ),
        Setup::BroadcastSender { to, port, encoding } => {
            let e = py_enc(*encoding);
            format!(
                r#"import socket

# Broadcast sender: SO_BROADCAST is required to send to a broadcast address
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.sendto("hello everyone".encode("{e}"), ("{to}", {port}))
s.close()
"#
            )
        }
    }
}

/// Rust with the standard library only.
pub fn rust(s: &Setup) -> String {
    match s {
        Setup::Udp { bind, remote, recv_buffer, .. } => format!(
            r#"use std::net::UdpSocket;

fn main() -> std::io::Result<()> {{
    let s = UdpSocket::bind("{bind}")?;
    println!("bound to {{}}", s.local_addr()?);
    s.send_to(b"hello", "{remote}")?;
    let mut buf = vec![0u8; {recv_buffer}];
    let (n, from) = s.recv_from(&mut buf)?;
    println!("{{from}} >>> {{}}", String::from_utf8_lossy(&buf[..n]));
    Ok(())
}}
"#,
            bind = bind.trim(),
            remote = remote.trim()
        ),
        Setup::TcpServer { bind, recv_buffer, .. } => format!(
            r#"use std::io::{{Read, Write}};
use std::net::TcpListener;

fn main() -> std::io::Result<()> {{
    // std sets SO_REUSEADDR on Unix listeners; the backlog is fixed (use socket2 to choose)
    let listener = TcpListener::bind("{bind}")?;
    for conn in listener.incoming() {{
        let mut conn = conn?;
        println!("connected: {{}}", conn.peer_addr()?);
        let mut buf = vec![0u8; {recv_buffer}];
        loop {{
            let n = conn.read(&mut buf)?;
            if n == 0 {{
                break; // the client closed its side
            }}
            conn.write_all(&buf[..n].to_ascii_uppercase())?;
        }}
    }}
    Ok(())
}}
"#,
            bind = bind.trim()
        ),
        Setup::TcpClient { server, recv_buffer, nodelay, .. } => format!(
            r#"use std::io::{{Read, Write}};
use std::net::{{Shutdown, TcpStream}};

fn main() -> std::io::Result<()> {{
    let mut s = TcpStream::connect("{server}")?; // the three-way handshake happens here
{nagle}    s.write_all(b"hello")?;
    s.shutdown(Shutdown::Write)?; // half-close: we can still receive
    let mut buf = vec![0u8; {recv_buffer}];
    loop {{
        let n = s.read(&mut buf)?;
        if n == 0 {{
            break;
        }}
        println!("{{}}", String::from_utf8_lossy(&buf[..n]));
    }}
    Ok(())
}}
"#,
            nagle = if *nodelay { "    s.set_nodelay(true)?; // Nagle off: small writes leave at once\n" } else { "" },
            server = server.trim()
        ),
        Setup::BroadcastReceiver { port } => format!(
            r#"use std::net::UdpSocket;

fn main() -> std::io::Result<()> {{
    // std cannot set SO_REUSEADDR before bind; use socket2 for several receivers on one port
    let s = UdpSocket::bind(("0.0.0.0", {port}))?;
    let mut buf = [0u8; 65536];
    loop {{
        let (n, from) = s.recv_from(&mut buf)?;
        println!("{{from}} >>> {{}}", String::from_utf8_lossy(&buf[..n]));
    }}
}}
"#
        ),
        Setup::BroadcastSender { to, port, .. } => format!(
            r#"use std::net::UdpSocket;

fn main() -> std::io::Result<()> {{
    let s = UdpSocket::bind("0.0.0.0:0")?;
    s.set_broadcast(true)?; // SO_BROADCAST
    s.send_to(b"hello everyone", ("{to}", {port}))?;
    Ok(())
}}
"#
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_follows_the_settings() {
        let p = python(&Setup::TcpServer {
            bind: "127.0.0.1:9999".into(),
            backlog: 5,
            reuse_addr: true,
            reply: ReplyMode::Upper,
            encoding: Encoding::Utf8,
            recv_buffer: 1024,
            nodelay: true,
        });
        assert!(p.contains("s.bind((\"127.0.0.1\", 9999))"));
        assert!(p.contains("s.listen(5)"));
        assert!(p.contains("SO_REUSEADDR"));
        assert!(p.contains("conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)"));
        assert!(p.contains("conn.recv(1024)"));
        assert!(p.contains("conn.send(data.upper())"));
        let u = python(&Setup::Udp {
            bind: "[::1]:0".into(),
            remote: "[::1]:7788".into(),
            encoding: Encoding::Gbk,
            recv_buffer: 2048,
        });
        assert!(u.contains("socket.AF_INET6") && u.contains("\"gbk\"") && u.contains("recvfrom(2048)"));
        assert!(
            rust(&Setup::TcpClient {
                server: "127.0.0.1:1".into(),
                encoding: Encoding::Utf8,
                recv_buffer: 8,
                nodelay: true
            })
            .contains("TcpStream::connect(\"127.0.0.1:1\")")
        );
        let r = rust(&Setup::TcpClient {
            server: "127.0.0.1:1".into(),
            encoding: Encoding::Utf8,
            recv_buffer: 8,
            nodelay: true,
        });
        assert!(r.contains("s.set_nodelay(true)?;"), "{r}");
        let p = python(&Setup::TcpClient {
            server: "127.0.0.1:1".into(),
            encoding: Encoding::Utf8,
            recv_buffer: 8,
            nodelay: false,
        });
        assert!(!p.contains("TCP_NODELAY"), "only when asked");
    }
}
