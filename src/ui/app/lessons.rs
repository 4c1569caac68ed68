//! The Lessons menu's set-ups: servers, clients and sockets made ready for a tutorial lesson, the
//! lesson's explanation, and the sticky-packet demo.

use crate::ui::instances::{Kind, Tab};
use crate::ui::layout::{Arrange, MAX_PANES};
use crate::ui::tabs::tcp_client::TcpClientTab;
use crate::ui::tabs::tcp_server::TcpServerTab;
use crate::ui::widgets;

use super::{Lesson, SockLabApp, TabId};

/// The slicer lesson's relay cuts every send into pieces of this many bytes…
const SLICE: usize = 3;
/// … with this long a pause between two pieces, so that each arrives as a read of its own.
const SLICE_PAUSE_MS: u64 = 40;
/// The loss lesson's relay loses this share of the datagrams…
const LOSS_PERCENT: u32 = 25;
/// … of this many sends that Repeat makes.
const LOSS_SENDS: u32 = 20;
/// The seed of the lessons' relays: a lesson shows the same drops every time.
const LESSON_SEED: u64 = 7;

impl SockLabApp {
    /// Sets a lesson up: a TCP server on a free loopback port with the right auto-reply,
    /// started, and the TCP client pointed at it; the explanation says what to do next.
    pub fn set_up(&mut self, lesson: Lesson) {
        let reply = match lesson {
            Lesson::UpperEcho => crate::engine::ReplyMode::Upper,
            Lesson::HelloServer => crate::engine::ReplyMode::Hello,
            Lesson::StickyPackets => crate::engine::ReplyMode::None,
            Lesson::UdpChat => return self.set_up_udp_chat(),
            Lesson::BroadcastTwo => return self.set_up_broadcast_two(),
            Lesson::StreamSlicer => crate::engine::ReplyMode::Upper,
            Lesson::UdpLoss => return self.set_up_udp_loss(),
            Lesson::TlsAdds => crate::engine::ReplyMode::Upper,
        };
        self.tcp_client.framing = "none".into();
        let addr = match self.tcp_server.listening_on() {
            // A running server keeps its port and gets the lesson's auto-reply.
            Some(a) => {
                self.tcp_server.use_reply(reply);
                a.to_string()
            }
            None => {
                // A free port below the ephemeral range, so it stays the same for the lesson.
                let port = (9000..9999).find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok()).unwrap_or(0);
                self.tcp_server.bind = format!("127.0.0.1:{port}");
                self.tcp_server.framing = "none".into();
                self.tcp_server.use_reply(reply);
                self.tcp_server.start();
                self.tcp_server.bind.clone()
            }
        };
        self.tcp_client.server = addr.clone();
        self.active = TabId::TcpClient;
        self.also.clear();
        if lesson == Lesson::StreamSlicer {
            // The client talks to the server through the relay, which cuts every send into
            // pieces of SLICE bytes with a pause between them: one send(), several recv()s.
            self.tcp_server.framing = "none".into();
            self.start_relay(false, &addr, &format!("up:slice={SLICE},pause={SLICE_PAUSE_MS}ms"));
            if let Some(listen) = self.relay.listening_or_bound() {
                self.tcp_client.server = listen;
            }
            self.also = vec![TabId::Relay, TabId::TcpServer];
            self.arrange = Arrange::Columns;
        }
        if lesson == Lesson::HelloServer {
            // Three clients, like the tutorial's threaded server with several users.
            let have = self.extra.iter().filter(|i| i.kind == Kind::TcpClient).count();
            for _ in have..2 {
                self.open_instance(Kind::TcpClient);
            }
            for i in self.extra.iter_mut() {
                if let Tab::TcpClient(c) = &mut i.tab {
                    c.server = addr.clone();
                }
            }
            // The server and the three clients on one screen.
            self.active = TabId::TcpServer;
            self.also = vec![TabId::TcpClient];
            self.also.extend(self.extra.iter().filter(|i| i.kind == Kind::TcpClient).map(|i| TabId::Extra(i.id)));
            self.also.truncate(MAX_PANES - 1);
            self.arrange = Arrange::Grid;
        }
        if lesson == Lesson::TlsAdds {
            self.set_up_tls_twin(&addr);
        }
        self.lesson = Some(lesson);
    }

    /// What TLS adds: next to the plain upper-case server and client, a second server with TLS
    /// (its self-signed certificate saved for the client to trust) and a second client with TLS
    /// whose log shows the records. Both clients connect and have `hello` ready to send.
    fn set_up_tls_twin(&mut self, plain: &str) {
        let port = (9000..9999)
            .find(|p| plain.rsplit(':').next() != Some(&p.to_string()) && std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
            .unwrap_or(0);
        let server = self.open_instance(Kind::TcpServer);
        let mut pem = None;
        if let Some(Tab::TcpServer(s)) = self.extra.iter_mut().find(|i| i.id == server).map(|i| &mut i.tab) {
            s.bind = format!("127.0.0.1:{port}");
            s.framing = "none".into();
            s.tls.on = true;
            s.use_reply(crate::engine::ReplyMode::Upper);
            s.start();
            pem = s.tls.presented.as_ref().map(|p| p.cert_pem.clone());
        }
        // The client trusts exactly this server's certificate, as a CA file.
        let ca = std::env::temp_dir().join(format!("socklab-lesson-tls-{}.pem", std::process::id()));
        let trusted = pem.is_some_and(|pem| std::fs::write(&ca, pem).is_ok());
        let client = self.open_instance(Kind::TcpClient);
        if let Some(Tab::TcpClient(c)) = self.extra.iter_mut().find(|i| i.id == client).map(|i| &mut i.tab) {
            c.server = format!("127.0.0.1:{port}");
            c.framing = "none".into();
            c.tls.on = true;
            if trusted {
                c.tls.trust = crate::ui::tabs::tls::TrustChoice::CaFile;
                c.tls.ca = ca.display().to_string();
            } else {
                c.tls.trust = crate::ui::tabs::tls::TrustChoice::Any;
            }
            c.wire.log.filter.direction = crate::ui::logs::filter::Direction::Tls;
            c.send.text = "hello".into();
            c.connect_when_listening = true;
        }
        self.tcp_client.send.text = "hello".into();
        self.tcp_client.connect_when_listening = true;
        self.active = TabId::TcpClient;
        self.also = vec![TabId::Extra(client)];
        self.arrange = Arrange::Columns;
    }

    /// The tutorial's chat room: two UDP sockets on free loopback ports, each sending to the
    /// other, side by side.
    fn set_up_udp_chat(&mut self) {
        let free = |skip: u16| {
            (9000..9999).find(|p| *p != skip && std::net::UdpSocket::bind(("127.0.0.1", *p)).is_ok()).unwrap_or(0)
        };
        let a = free(0);
        let b = free(a);
        if self.udp.running() {
            self.udp.stop();
        }
        self.udp.bind = format!("127.0.0.1:{a}");
        self.udp.remote = format!("127.0.0.1:{b}");
        self.udp.start();
        let id = self.open_instance(Kind::Udp);
        if let Some(Tab::Udp(u)) = self.extra.iter_mut().find(|i| i.id == id).map(|i| &mut i.tab) {
            u.bind = format!("127.0.0.1:{b}");
            u.remote = format!("127.0.0.1:{a}");
            u.start();
        }
        self.active = TabId::Udp;
        self.also = vec![TabId::Extra(id)];
        self.arrange = Arrange::Columns;
        self.lesson = Some(Lesson::UdpChat);
    }

    /// Starts the Relay tab toward `upstream` on a free loopback port below the ephemeral range,
    /// with `faults` (one spec) and the lessons' seed.
    fn start_relay(&mut self, udp: bool, upstream: &str, faults: &str) {
        if self.relay.running() {
            self.relay.stop();
        }
        let free = |p: &u16| {
            if udp {
                std::net::UdpSocket::bind(("127.0.0.1", *p)).is_ok()
            } else {
                std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok()
            }
        };
        let port = (7000..7999).find(free).unwrap_or(0);
        self.relay.listen = format!("127.0.0.1:{port}");
        self.relay.to = upstream.to_string();
        self.relay.udp = udp;
        self.relay.faults = faults.to_string();
        self.relay.seed = LESSON_SEED.to_string();
        self.relay.start();
    }

    /// UDP is not reliable: the UDP tab sends to UDP 2 through a relay that loses datagrams.
    fn set_up_udp_loss(&mut self) {
        let free = |skip: u16| {
            (9000..9999).find(|p| *p != skip && std::net::UdpSocket::bind(("127.0.0.1", *p)).is_ok()).unwrap_or(0)
        };
        let a = free(0);
        let b = free(a);
        let id = self.open_instance(Kind::Udp);
        if let Some(Tab::Udp(u)) = self.extra.iter_mut().find(|i| i.id == id).map(|i| &mut i.tab) {
            u.bind = format!("127.0.0.1:{b}");
            u.remote = String::new();
            u.start();
        }
        self.start_relay(true, &format!("127.0.0.1:{b}"), &format!("up:loss={LOSS_PERCENT}%"));
        if self.udp.running() {
            self.udp.stop();
        }
        self.udp.bind = format!("127.0.0.1:{a}");
        self.udp.remote = self.relay.listening_or_bound().unwrap_or_default();
        self.udp.send.text = "ping".into();
        self.udp.send.repeat_every = "50".into();
        self.udp.send.repeat_times = LOSS_SENDS.to_string();
        self.udp.start();
        self.active = TabId::Udp;
        self.also = vec![TabId::Relay, TabId::Extra(id)];
        self.arrange = Arrange::Columns;
        self.lesson = Some(Lesson::UdpLoss);
    }

    /// Two broadcast receivers sharing one port (SO_REUSEADDR), side by side.
    fn set_up_broadcast_two(&mut self) {
        let port = (9000..9999).find(|p| std::net::UdpSocket::bind(("0.0.0.0", *p)).is_ok()).unwrap_or(0);
        let port = port.to_string();
        self.broadcast.listen_port = port.clone();
        self.broadcast.dest_port = port.clone();
        self.broadcast.start_receiver();
        let id = self.open_instance(Kind::Broadcast);
        if let Some(Tab::Broadcast(b)) = self.extra.iter_mut().find(|i| i.id == id).map(|i| &mut i.tab) {
            b.listen_port = port.clone();
            b.dest_port = port;
            b.start_receiver();
        }
        self.active = TabId::Broadcast;
        self.also = vec![TabId::Extra(id)];
        self.arrange = Arrange::Columns;
        self.lesson = Some(Lesson::BroadcastTwo);
    }

    pub(super) fn lesson_panel(&mut self, ui: &mut egui::Ui) {
        let Some(l) = self.lesson else { return };
        let t = self.lang.tr();
        let text = match l {
            Lesson::UpperEcho => t.lesson_upper_text,
            Lesson::HelloServer => t.lesson_hello_text,
            Lesson::StickyPackets => t.lesson_sticky_text,
            Lesson::UdpChat => t.lesson_chat_text,
            Lesson::BroadcastTwo => t.lesson_broadcast_text,
            Lesson::StreamSlicer => t.lesson_slicer_text,
            Lesson::UdpLoss => t.lesson_loss_text,
            Lesson::TlsAdds => t.lesson_tls_text,
        };
        // The sticky-packet lesson names how long its server may hold its reads.
        let text = crate::i18n::fill(text, &[&crate::engine::tcp_server::HOLD_READS_MAX.as_secs()]);
        egui::Frame::group(ui.style()).fill(widgets::BLUE.gamma_multiply(0.15)).show(ui, |ui| {
            // The button first: a long explanation wraps instead of pushing it off the edge.
            ui.horizontal(|ui| {
                if ui.small_button(t.close_detail).clicked() {
                    self.lesson = None;
                }
                ui.add(egui::Label::new(egui::RichText::new(text)).wrap());
            });
        });
    }

    /// Connects the lessons' clients whose server (one of this app's) now listens: a server's
    /// worker binds on its own thread, so a client started in the same frame would be refused.
    pub(super) fn lesson_connects(&mut self) {
        let mut clients: Vec<&mut TcpClientTab> = vec![&mut self.tcp_client];
        let mut listening: Vec<String> = self.tcp_server.listening_on().map(|a| a.to_string()).into_iter().collect();
        for i in self.extra.iter_mut() {
            match &mut i.tab {
                Tab::TcpClient(c) => clients.push(c),
                Tab::TcpServer(s) => listening.extend(s.listening_on().map(|a| a.to_string())),
                _ => {}
            }
        }
        for c in clients.into_iter().filter(|c| c.connect_when_listening) {
            if listening.iter().any(|l| *l == c.server.trim()) {
                c.connect_when_listening = false;
                c.connect();
            }
        }
    }

    /// Runs the sticky-packet demos clicked this frame. A client connected to one of this app's
    /// TCP servers first has that server hold its reads of the connection until all the demo's
    /// bytes have landed (at most `HOLD_READS_MAX`), so they always arrive merged: one recv().
    /// The hold is queued before the sends, and the server takes commands before it reads.
    pub(super) fn sticky_demos(&mut self) {
        let lang = self.lang;
        let mut clients: Vec<&mut TcpClientTab> = vec![&mut self.tcp_client];
        let mut servers: Vec<&mut TcpServerTab> = vec![&mut self.tcp_server];
        for i in self.extra.iter_mut() {
            match &mut i.tab {
                Tab::TcpClient(c) => clients.push(c),
                Tab::TcpServer(s) => servers.push(s),
                _ => {}
            }
        }
        for c in clients {
            if !c.take_demo() {
                continue;
            }
            if let Some(local) = c.local_addr() {
                let bytes = c.demo_bytes(lang);
                if let Some((s, conn)) = servers.iter_mut().find_map(|s| s.conn_of(local).map(|id| (s, id))) {
                    s.hold_reads(conn, bytes);
                }
            }
            c.sticky_demo(lang);
        }
    }
}
