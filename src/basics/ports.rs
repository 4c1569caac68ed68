//! Port numbers: which class a port is in, which service usually uses it, whether binding it
//! needs privileges here, and whether the OS hands it out as an ephemeral (client) port.
//!
//! The tutorial splits ports into well-known (0–1023) and dynamic (1024–65535). IANA (RFC 6335)
//! splits the upper part further into registered (1024–49151) and dynamic/private
//! (49152–65535); [`PortInfo`] gives both views.

#[cfg(any(test, feature = "test-support"))]
use std::ops::RangeInclusive;

use serde::Serialize;

/// IANA port class (RFC 6335).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PortClass {
    /// 0–1023: system or well-known ports, assigned to standard services.
    WellKnown,
    /// 1024–49151: user or registered ports, assigned on request.
    Registered,
    /// 49152–65535: dynamic or private ports, never assigned.
    Dynamic,
}

impl PortClass {
    #[cfg(any(test, feature = "test-support"))]
    pub const ALL: [PortClass; 3] = [PortClass::WellKnown, PortClass::Registered, PortClass::Dynamic];

    /// The class of a port.
    pub fn of(port: u16) -> PortClass {
        match port {
            0..=1023 => PortClass::WellKnown,
            1024..=49151 => PortClass::Registered,
            49152..=u16::MAX => PortClass::Dynamic,
        }
    }

    #[cfg(any(test, feature = "test-support"))]
    /// `"well-known"`, `"registered"` or `"dynamic"`.
    pub fn name(self) -> &'static str {
        match self {
            PortClass::WellKnown => "well-known",
            PortClass::Registered => "registered",
            PortClass::Dynamic => "dynamic",
        }
    }

    #[cfg(any(test, feature = "test-support"))]
    /// The ports of the class.
    pub fn range(self) -> RangeInclusive<u16> {
        match self {
            PortClass::WellKnown => 0..=1023,
            PortClass::Registered => 1024..=49151,
            PortClass::Dynamic => 49152..=u16::MAX,
        }
    }
}

/// The tutorial's two-way split: well-known 0–1023 (知名端口), dynamic 1024–65535 (动态端口).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TutorialPortClass {
    WellKnown,
    Dynamic,
}

impl TutorialPortClass {
    /// The tutorial's class of a port.
    pub fn of(port: u16) -> TutorialPortClass {
        if port < 1024 { TutorialPortClass::WellKnown } else { TutorialPortClass::Dynamic }
    }

    #[cfg(any(test, feature = "test-support"))]
    /// `"well-known"` or `"dynamic"`.
    pub fn name(self) -> &'static str {
        match self {
            TutorialPortClass::WellKnown => "well-known",
            TutorialPortClass::Dynamic => "dynamic",
        }
    }

    #[cfg(any(test, feature = "test-support"))]
    /// The ports of the class.
    pub fn range(self) -> RangeInclusive<u16> {
        match self {
            TutorialPortClass::WellKnown => 0..=1023,
            TutorialPortClass::Dynamic => 1024..=u16::MAX,
        }
    }
}

/// Which transport a service usually runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Tcp,
    Udp,
    /// Both TCP and UDP (like DNS).
    Both,
}

impl Transport {
    #[cfg(any(test, feature = "test-support"))]
    /// `"tcp"`, `"udp"` or `"tcp/udp"`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Both => "tcp/udp",
        }
    }
}

/// A service commonly found on a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Service {
    pub port: u16,
    /// Short lowercase protocol name, as in `/etc/services` but with the familiar spelling
    /// (`"dns"` rather than `"domain"`).
    pub name: &'static str,
    pub transport: Transport,
}

const fn svc(port: u16, name: &'static str, transport: Transport) -> Service {
    Service { port, name, transport }
}

use Transport::{Both, Tcp, Udp};

/// Well-known and popular ports with their usual service, sorted by port.
pub const SERVICES: &[Service] = &[
    svc(7, "echo", Both),
    svc(9, "discard", Both),
    svc(13, "daytime", Both),
    svc(20, "ftp-data", Tcp),
    svc(21, "ftp", Tcp),
    svc(22, "ssh", Tcp),
    svc(23, "telnet", Tcp),
    svc(25, "smtp", Tcp),
    svc(37, "time", Both),
    svc(53, "dns", Both),
    svc(67, "dhcp", Udp),
    svc(68, "dhcp", Udp),
    svc(69, "tftp", Udp),
    svc(80, "http", Tcp),
    svc(88, "kerberos", Both),
    svc(110, "pop3", Tcp),
    svc(119, "nntp", Tcp),
    svc(123, "ntp", Udp),
    svc(137, "netbios-ns", Udp),
    svc(138, "netbios-dgm", Udp),
    svc(139, "netbios-ssn", Tcp),
    svc(143, "imap", Tcp),
    svc(161, "snmp", Udp),
    svc(162, "snmp-trap", Udp),
    svc(179, "bgp", Tcp),
    svc(389, "ldap", Tcp),
    svc(443, "https", Both),
    svc(445, "smb", Tcp),
    svc(465, "smtps", Tcp),
    svc(514, "syslog", Udp),
    svc(515, "lpd", Tcp),
    svc(546, "dhcpv6-client", Udp),
    svc(547, "dhcpv6-server", Udp),
    svc(554, "rtsp", Tcp),
    svc(587, "submission", Tcp),
    svc(631, "ipp", Tcp),
    svc(636, "ldaps", Tcp),
    svc(853, "dns-over-tls", Tcp),
    svc(873, "rsync", Tcp),
    svc(993, "imaps", Tcp),
    svc(995, "pop3s", Tcp),
    svc(1080, "socks", Tcp),
    svc(1194, "openvpn", Udp),
    svc(1433, "mssql", Tcp),
    svc(1521, "oracle", Tcp),
    svc(1883, "mqtt", Tcp),
    svc(1900, "ssdp", Udp),
    svc(2049, "nfs", Both),
    svc(3306, "mysql", Tcp),
    svc(3389, "rdp", Tcp),
    svc(3478, "stun", Udp),
    svc(5060, "sip", Both),
    svc(5353, "mdns", Udp),
    svc(5432, "postgresql", Tcp),
    svc(5672, "amqp", Tcp),
    svc(5900, "vnc", Tcp),
    svc(6379, "redis", Tcp),
    svc(6443, "kubernetes-api", Tcp),
    svc(8080, "http-alt", Tcp),
    svc(8443, "https-alt", Tcp),
    svc(8883, "mqtts", Tcp),
    svc(9092, "kafka", Tcp),
    svc(9200, "elasticsearch", Tcp),
    svc(11211, "memcached", Tcp),
    svc(27017, "mongodb", Tcp),
];

/// The usual service on a port, if it is a well-known or popular one.
pub fn service(port: u16) -> Option<Service> {
    SERVICES.binary_search_by_key(&port, |s| s.port).ok().and_then(|i| SERVICES.get(i).copied())
}

/// Linux's default ephemeral port range (`net.ipv4.ip_local_port_range`), also used elsewhere.
pub const DEFAULT_EPHEMERAL_RANGE: (u16, u16) = (32768, 60999);
/// Linux's default first unprivileged port (`net.ipv4.ip_unprivileged_port_start`).
pub const DEFAULT_UNPRIVILEGED_PORT_START: u16 = 1024;

/// Parses the text of `/proc/sys/net/ipv4/ip_local_port_range`: two port numbers separated by
/// whitespace (`"32768\t60999\n"`), low ≤ high. `None` if it is anything else.
pub fn parse_port_range(text: &str) -> Option<(u16, u16)> {
    let mut words = text.split_whitespace();
    let low = words.next()?.parse::<u16>().ok()?;
    let high = words.next()?.parse::<u16>().ok()?;
    (words.next().is_none() && low <= high).then_some((low, high))
}

/// Parses the text of `/proc/sys/net/ipv4/ip_unprivileged_port_start`: one port number.
pub fn parse_unprivileged_port_start(text: &str) -> Option<u16> {
    text.trim().parse().ok()
}

#[cfg(target_os = "linux")]
fn read_proc(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// This machine's ephemeral port range: the ports the OS picks from when a socket is bound to
/// port 0 or connects without binding. Read from `/proc/sys/net/ipv4/ip_local_port_range` on
/// Linux; [`DEFAULT_EPHEMERAL_RANGE`] elsewhere or if that cannot be read.
pub fn ephemeral_range() -> (u16, u16) {
    #[cfg(target_os = "linux")]
    if let Some(r) = read_proc("/proc/sys/net/ipv4/ip_local_port_range").as_deref().and_then(parse_port_range) {
        return r;
    }
    DEFAULT_EPHEMERAL_RANGE
}

/// The first port an unprivileged process may bind. Linux: read from
/// `/proc/sys/net/ipv4/ip_unprivileged_port_start` (1024 if it cannot be read). macOS (since
/// 10.14) and Windows: 0, they have no privileged ports. Other systems: 1024.
pub fn unprivileged_port_start() -> u16 {
    #[cfg(target_os = "linux")]
    {
        read_proc("/proc/sys/net/ipv4/ip_unprivileged_port_start")
            .as_deref()
            .and_then(parse_unprivileged_port_start)
            .unwrap_or(DEFAULT_UNPRIVILEGED_PORT_START)
    }
    #[cfg(any(target_os = "macos", windows))]
    {
        0
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    {
        DEFAULT_UNPRIVILEGED_PORT_START
    }
}

/// The machine settings that [`classify_with`] needs, read once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PortEnv {
    /// The ephemeral port range, inclusive.
    pub ephemeral_range: (u16, u16),
    /// Ports below this need privileges (root or `CAP_NET_BIND_SERVICE` on Linux) to bind.
    pub unprivileged_port_start: u16,
}

impl Default for PortEnv {
    /// Linux's defaults: ephemeral 32768–60999, privileged below 1024.
    fn default() -> PortEnv {
        PortEnv { ephemeral_range: DEFAULT_EPHEMERAL_RANGE, unprivileged_port_start: DEFAULT_UNPRIVILEGED_PORT_START }
    }
}

impl PortEnv {
    /// This machine's settings.
    pub fn detect() -> PortEnv {
        PortEnv { ephemeral_range: ephemeral_range(), unprivileged_port_start: unprivileged_port_start() }
    }
}

/// Everything about one port number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PortInfo {
    pub port: u16,
    /// IANA class: well-known / registered / dynamic.
    pub class: PortClass,
    /// The tutorial's class: well-known / dynamic.
    pub tutorial_class: TutorialPortClass,
    /// The usual service on this port, if any.
    pub service: Option<Service>,
    /// Port 0: binding it asks the OS to pick a free port from the ephemeral range.
    pub os_picks: bool,
    /// Whether the OS may hand this port out as an ephemeral (client-side) port.
    pub in_ephemeral_range: bool,
    /// Whether binding this port needs privileges here (root, `CAP_NET_BIND_SERVICE`). Never for
    /// port 0.
    pub needs_privilege: bool,
    /// The settings used.
    pub env: PortEnv,
}

#[cfg(any(test, feature = "test-support"))]
/// Classifies a port with this machine's settings. To classify many ports, read the settings
/// once with [`PortEnv::detect`] and use [`classify_with`].
pub fn classify(port: u16) -> PortInfo {
    classify_with(port, &PortEnv::detect())
}

/// Classifies a port with the given settings (pure).
pub fn classify_with(port: u16, env: &PortEnv) -> PortInfo {
    let (lo, hi) = env.ephemeral_range;
    PortInfo {
        port,
        class: PortClass::of(port),
        tutorial_class: TutorialPortClass::of(port),
        service: service(port),
        os_picks: port == 0,
        in_ephemeral_range: (lo..=hi).contains(&port),
        needs_privilege: port != 0 && port < env.unprivileged_port_start,
        env: *env,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(PortClass::of(0), PortClass::WellKnown);
        assert_eq!(PortClass::of(1023), PortClass::WellKnown);
        assert_eq!(PortClass::of(1024), PortClass::Registered);
        assert_eq!(PortClass::of(49151), PortClass::Registered);
        assert_eq!(PortClass::of(49152), PortClass::Dynamic);
        assert_eq!(PortClass::of(65535), PortClass::Dynamic);
        for class in PortClass::ALL {
            for port in [*class.range().start(), *class.range().end()] {
                assert_eq!(PortClass::of(port), class);
            }
        }
        // The tutorial: 0–1023 well-known, 1024–65535 dynamic.
        assert_eq!(TutorialPortClass::of(1023), TutorialPortClass::WellKnown);
        assert_eq!(TutorialPortClass::of(1024), TutorialPortClass::Dynamic);
        assert_eq!(classify_with(8080, &PortEnv::default()).tutorial_class, TutorialPortClass::Dynamic);
    }

    #[test]
    fn services() {
        let name = |p| service(p).map(|s| s.name);
        // The tutorial's examples: 22 ssh, 80 http, 21 ftp, 69 file download (tftp).
        assert_eq!(name(22), Some("ssh"));
        assert_eq!(name(80), Some("http"));
        assert_eq!(name(21), Some("ftp"));
        assert_eq!(name(69), Some("tftp"));
        for (p, n) in [
            (23, "telnet"),
            (25, "smtp"),
            (53, "dns"),
            (67, "dhcp"),
            (68, "dhcp"),
            (110, "pop3"),
            (123, "ntp"),
            (143, "imap"),
            (161, "snmp"),
            (443, "https"),
            (993, "imaps"),
            (995, "pop3s"),
            (1883, "mqtt"),
            (3306, "mysql"),
            (5432, "postgresql"),
            (6379, "redis"),
            (8080, "http-alt"),
        ] {
            assert_eq!(name(p), Some(n), "{p}");
        }
        assert_eq!(service(53).unwrap().transport, Transport::Both);
        assert_eq!(name(9999), None);
        assert_eq!(name(0), None);
        assert!(SERVICES.windows(2).all(|w| w[0].port < w[1].port), "SERVICES must be sorted and unique");
    }

    #[test]
    fn privilege_and_ephemeral() {
        let env = PortEnv::default();
        let i = classify_with(80, &env);
        assert!(i.needs_privilege && !i.in_ephemeral_range && !i.os_picks);
        assert_eq!(i.class, PortClass::WellKnown);
        let i = classify_with(1024, &env);
        assert!(!i.needs_privilege);
        assert!(classify_with(32768, &env).in_ephemeral_range);
        assert!(classify_with(60999, &env).in_ephemeral_range);
        assert!(!classify_with(61000, &env).in_ephemeral_range);
        let i = classify_with(0, &env);
        assert!(i.os_picks && !i.needs_privilege);
        let relaxed = PortEnv { ephemeral_range: (1024, 65535), unprivileged_port_start: 80 };
        assert!(!classify_with(80, &relaxed).needs_privilege);
        assert!(classify_with(79, &relaxed).needs_privilege);
        assert!(classify_with(65535, &relaxed).in_ephemeral_range);
    }

    #[test]
    fn parse_proc_values() {
        assert_eq!(parse_port_range("32768\t60999\n"), Some((32768, 60999)));
        assert_eq!(parse_port_range("  1024 65535"), Some((1024, 65535)));
        assert_eq!(parse_port_range("40000 40000"), Some((40000, 40000)));
        assert_eq!(parse_port_range("60999 32768"), None);
        assert_eq!(parse_port_range("32768"), None);
        assert_eq!(parse_port_range("32768 60999 3"), None);
        assert_eq!(parse_port_range("32768 70000"), None);
        assert_eq!(parse_port_range("a b"), None);
        assert_eq!(parse_port_range(""), None);
        assert_eq!(parse_unprivileged_port_start("1024\n"), Some(1024));
        assert_eq!(parse_unprivileged_port_start("0"), Some(0));
        assert_eq!(parse_unprivileged_port_start("-1"), None);
        assert_eq!(parse_unprivileged_port_start(""), None);
    }

    #[test]
    fn this_machine() {
        let (lo, hi) = ephemeral_range();
        assert!(lo <= hi);
        let i = classify(lo);
        assert!(i.in_ephemeral_range);
        assert_eq!(i.env.ephemeral_range, (lo, hi));
        #[cfg(target_os = "linux")]
        if let Ok(text) = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range") {
            assert_eq!(parse_port_range(&text), Some((lo, hi)));
        }
    }

    #[test]
    fn serializes() {
        let json = serde_json::to_value(classify_with(53, &PortEnv::default())).unwrap();
        assert_eq!(json["class"], "well_known");
        assert_eq!(json["service"]["name"], "dns");
        assert_eq!(json["service"]["transport"], "both");
        assert_eq!(json["needs_privilege"], true);
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC*") {
            let _ = parse_port_range(&s);
            let _ = parse_unprivileged_port_start(&s);
        }

        #[test]
        fn parsed_ranges_are_ordered(s in "[0-9 \\t\\n]{0,20}") {
            if let Some((lo, hi)) = parse_port_range(&s) {
                proptest::prop_assert!(lo <= hi);
            }
        }
    }
}
