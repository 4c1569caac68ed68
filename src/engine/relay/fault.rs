//! Network conditions a relay gives its link, as data: per direction, each bounded, each with
//! a probability where it makes sense; and the seeded random generator that makes a run
//! repeatable. The CLI's `--fault DIR:KIND=VALUE[,KEY=VALUE]` is parsed here ([`parse`]).

use serde::{Deserialize, Serialize};

use crate::vocab::{Dir, Proto};

/// The faults of both directions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// Client → upstream.
    pub up: DirFaults,
    /// Upstream → client.
    pub down: DirFaults,
}

impl Faults {
    pub fn dir(&self, dir: Dir) -> &DirFaults {
        match dir {
            Dir::Up => &self.up,
            Dir::Down => &self.down,
        }
    }

    pub fn dir_mut(&mut self, dir: Dir) -> &mut DirFaults {
        match dir {
            Dir::Up => &mut self.up,
            Dir::Down => &mut self.down,
        }
    }
}

/// Latency: every piece waits `ms` ± `jitter_ms` (uniform) before it is passed on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    pub ms: u64,
    pub jitter_ms: u64,
}

/// TCP slicer: each read is written in pieces of `size` ± `jitter` bytes (at least 1), with
/// `pause_ms` between pieces. Makes 拆包 visible: one send arrives as many reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slice {
    pub size: usize,
    pub jitter: usize,
    pub pause_ms: u64,
}

/// UDP reorder: with probability `p` a datagram is held back `ms` so later ones overtake it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reorder {
    pub p: f64,
    pub ms: u64,
}

/// The faults of one direction. `None` is "off". Which ones apply: TCP uses latency,
/// bandwidth, slice, coalesce, limit, timeout, reset-after and slow-close; UDP uses latency,
/// bandwidth, loss, duplicate, reorder and truncate ([`DirFaults::check`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DirFaults {
    pub latency: Option<Latency>,
    /// Bytes per second at most.
    pub bandwidth: Option<u64>,
    pub slice: Option<Slice>,
    /// TCP: hold bytes for this many ms and pass them as one write (粘包).
    pub coalesce_ms: Option<u64>,
    /// TCP: close the connection after this many bytes passed this way.
    pub limit: Option<u64>,
    /// TCP: this many ms after the connection opened, stop passing data this way, and close
    /// the connection after as long again.
    pub timeout_ms: Option<u64>,
    /// TCP: reset (RST) both sides this many ms after the connection opened.
    pub reset_after_ms: Option<u64>,
    /// TCP: when the source side closes, wait this many ms before passing the close on.
    pub slow_close_ms: Option<u64>,
    /// UDP: the probability (0 to 1) that a datagram is dropped.
    pub loss: Option<f64>,
    /// UDP: the probability that a datagram is sent twice.
    pub duplicate: Option<f64>,
    pub reorder: Option<Reorder>,
    /// UDP: datagrams longer than this many bytes are cut to it.
    pub truncate: Option<usize>,
}

/// What a fault did, as a log row shows it (`--json`: `fault` is [`FaultAction::name`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// A datagram of `len` bytes was dropped (loss).
    Dropped { len: usize },
    /// A datagram was sent twice.
    Duplicated { len: usize },
    /// A piece waited `ms` before it was passed on (latency, jitter included).
    Delayed { ms: u64 },
    /// A datagram was held back `ms` so that later ones overtook it.
    Reordered { ms: u64 },
    /// A datagram was cut from `from` to `to` bytes.
    Truncated { from: usize, to: usize },
    /// A read of `len` bytes was written as `pieces` pieces.
    Sliced { len: usize, pieces: usize },
    /// `reads` reads (`len` bytes) were held and written as one.
    Coalesced { reads: usize, len: usize },
    /// The bandwidth limit made a piece wait `ms`.
    Throttled { ms: u64 },
    /// The data limit was reached after `bytes` bytes: the connection is closed.
    LimitReached { bytes: u64 },
    /// The timeout fault stopped passing data (`closing` false), or closed the connection.
    TimedOut { closing: bool },
    /// The reset fault reset both sides.
    Reset,
    /// The close was held `ms` before it was passed on.
    SlowClose { ms: u64 },
}

impl FaultAction {
    /// The `fault` field of a `--json` row: `drop`, `duplicate`, `delay`, `reorder`,
    /// `truncate`, `slice`, `coalesce`, `throttle`, `limit`, `timeout`, `reset`, `slow_close`.
    pub fn name(&self) -> &'static str {
        match self {
            FaultAction::Dropped { .. } => "drop",
            FaultAction::Duplicated { .. } => "duplicate",
            FaultAction::Delayed { .. } => "delay",
            FaultAction::Reordered { .. } => "reorder",
            FaultAction::Truncated { .. } => "truncate",
            FaultAction::Sliced { .. } => "slice",
            FaultAction::Coalesced { .. } => "coalesce",
            FaultAction::Throttled { .. } => "throttle",
            FaultAction::LimitReached { .. } => "limit",
            FaultAction::TimedOut { .. } => "timeout",
            FaultAction::Reset => "reset",
            FaultAction::SlowClose { .. } => "slow_close",
        }
    }
}

/// Why a `--fault` spec (or a fault form field) cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultSpecError {
    /// No `DIR:` before the fault, or a direction other than `up`, `down`, `both`.
    BadDir(String),
    /// A fault name SockLab does not know.
    UnknownKind(String),
    /// A value that is not what the fault takes (`kind`, the value as given).
    BadValue { kind: String, value: String },
    /// An extra `KEY=VALUE` the fault does not take.
    UnknownKey { kind: String, key: String },
    /// A fault of the other protocol (`slice` on a UDP relay, `loss` on a TCP one).
    WrongProto { kind: String, proto: Proto },
}

/// A small seeded random generator (SplitMix64): the same seed gives the same choices, so a
/// classroom run can be repeated exactly.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p` (0 never, 1 always).
    pub fn chance(&mut self, p: f64) -> bool {
        p >= 1.0 || (p > 0.0 && self.unit() < p)
    }

    /// `base` ± `jitter`, uniform, never below 0.
    pub fn around(&mut self, base: u64, jitter: u64) -> u64 {
        if jitter == 0 {
            return base;
        }
        let span = jitter.saturating_mul(2).saturating_add(1);
        (base + self.next_u64() % span).saturating_sub(jitter)
    }
}

/// The longest delay, hold or timeout a fault may ask for: 60 s.
pub const MAX_DELAY_MS: u64 = 60_000;
/// The largest slice, truncation or coalesced write: 64 KiB.
pub const MAX_PIECE: usize = 64 * 1024;

/// Adds one `--fault` spec (`DIR:KIND=VALUE[,KEY=VALUE]`) to `faults`, e.g.
/// `both:latency=50ms,jitter=10ms`, `up:slice=8`, `down:loss=20%`, `up:reset-after=2s`.
pub fn parse(spec: &str, faults: &mut Faults) -> Result<(), FaultSpecError> {
    let (dir, rest) = spec.split_once(':').ok_or_else(|| FaultSpecError::BadDir(spec.to_string()))?;
    let dirs: &[Dir] = match dir.trim() {
        "up" => &[Dir::Up],
        "down" => &[Dir::Down],
        "both" => &Dir::BOTH,
        other => return Err(FaultSpecError::BadDir(other.to_string())),
    };
    let mut pairs = rest.split(',').map(|p| match p.split_once('=') {
        Some((k, v)) => (k.trim(), v.trim()),
        None => (p.trim(), ""),
    });
    let (kind, value) = pairs.next().unwrap_or(("", ""));
    let options: Vec<(&str, &str)> = pairs.collect();
    for &d in dirs {
        apply(faults.dir_mut(d), kind, value, &options)?;
    }
    Ok(())
}

fn apply(f: &mut DirFaults, kind: &str, value: &str, options: &[(&str, &str)]) -> Result<(), FaultSpecError> {
    let bad = || FaultSpecError::BadValue { kind: kind.to_string(), value: value.to_string() };
    let bad_opt = |v: &str| FaultSpecError::BadValue { kind: kind.to_string(), value: v.to_string() };
    let unknown = |key: &str| FaultSpecError::UnknownKey { kind: kind.to_string(), key: key.to_string() };
    // Only the options a kind takes are allowed.
    let allowed: &[&str] = match kind {
        "latency" => &["jitter"],
        "slice" => &["jitter", "pause"],
        "reorder" => &["delay"],
        _ => &[],
    };
    if let Some((key, _)) = options.iter().find(|(k, _)| !allowed.contains(k)) {
        return Err(unknown(key));
    }
    let opt = |key: &str| options.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    match kind {
        "latency" => {
            let ms = duration_ms(value).ok_or_else(bad)?;
            let jitter_ms = match opt("jitter") {
                Some(j) => duration_ms(j).ok_or_else(|| bad_opt(j))?,
                None => 0,
            };
            f.latency = Some(Latency { ms, jitter_ms });
        }
        "bandwidth" => f.bandwidth = Some(bytes(value).filter(|b| *b > 0).ok_or_else(bad)?),
        "slice" => {
            let size = bytes(value).and_then(|b| usize::try_from(b).ok()).filter(|s| (1..=MAX_PIECE).contains(s));
            let jitter = match opt("jitter") {
                Some(j) => bytes(j).and_then(|b| usize::try_from(b).ok()).filter(|j| *j <= MAX_PIECE),
                None => Some(0),
            };
            let pause_ms = match opt("pause") {
                Some(p) => duration_ms(p),
                None => Some(0),
            };
            match (size, jitter, pause_ms) {
                (Some(size), Some(jitter), Some(pause_ms)) => f.slice = Some(Slice { size, jitter, pause_ms }),
                (None, _, _) => return Err(bad()),
                (_, None, _) => return Err(bad_opt(opt("jitter").unwrap_or_default())),
                (_, _, None) => return Err(bad_opt(opt("pause").unwrap_or_default())),
            }
        }
        "coalesce" => f.coalesce_ms = Some(duration_ms(value).filter(|ms| *ms > 0).ok_or_else(bad)?),
        "limit" => f.limit = Some(bytes(value).ok_or_else(bad)?),
        "timeout" => f.timeout_ms = Some(duration_ms(value).ok_or_else(bad)?),
        "reset-after" => f.reset_after_ms = Some(duration_ms(value).ok_or_else(bad)?),
        "slow-close" => f.slow_close_ms = Some(duration_ms(value).ok_or_else(bad)?),
        "loss" => f.loss = Some(probability(value).ok_or_else(bad)?),
        "duplicate" => f.duplicate = Some(probability(value).ok_or_else(bad)?),
        "reorder" => {
            let p = probability(value).ok_or_else(bad)?;
            let ms = match opt("delay") {
                Some(d) => duration_ms(d).ok_or_else(|| bad_opt(d))?,
                None => 50,
            };
            f.reorder = Some(Reorder { p, ms });
        }
        "truncate" => {
            f.truncate = Some(bytes(value).and_then(|b| usize::try_from(b).ok()).filter(|b| *b <= MAX_PIECE).ok_or_else(bad)?)
        }
        other => return Err(FaultSpecError::UnknownKind(other.to_string())),
    }
    Ok(())
}

impl DirFaults {
    /// Refuses a fault the relay's protocol does not have (`slice` on UDP, `loss` on TCP).
    pub fn check(&self, proto: Proto) -> Result<(), FaultSpecError> {
        let tcp_only = [
            ("slice", self.slice.is_some()),
            ("coalesce", self.coalesce_ms.is_some()),
            ("limit", self.limit.is_some()),
            ("timeout", self.timeout_ms.is_some()),
            ("reset-after", self.reset_after_ms.is_some()),
            ("slow-close", self.slow_close_ms.is_some()),
        ];
        let udp_only = [
            ("loss", self.loss.is_some()),
            ("duplicate", self.duplicate.is_some()),
            ("reorder", self.reorder.is_some()),
            ("truncate", self.truncate.is_some()),
        ];
        let wrong = match proto {
            Proto::Udp => tcp_only.iter().find(|(_, set)| *set),
            Proto::Tcp => udp_only.iter().find(|(_, set)| *set),
        };
        match wrong {
            Some((kind, _)) => Err(FaultSpecError::WrongProto { kind: (*kind).to_string(), proto }),
            None => Ok(()),
        }
    }
}

impl Faults {
    /// Both directions' [`DirFaults::check`].
    pub fn check(&self, proto: Proto) -> Result<(), FaultSpecError> {
        self.up.check(proto).and(self.down.check(proto))
    }
}

/// `50ms`, `2s`, `1.5s`, `250` (ms), at most [`MAX_DELAY_MS`].
fn duration_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.trim().parse().ok()?;
    let ms = v * scale;
    (ms.is_finite() && (0.0..=MAX_DELAY_MS as f64).contains(&ms)).then(|| ms.round() as u64)
}

/// `20%` or `0.2`, from 0 to 1.
fn probability(s: &str) -> Option<f64> {
    let s = s.trim();
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
        None => s.parse::<f64>().ok()?,
    };
    (v.is_finite() && (0.0..=1.0).contains(&v)).then_some(v)
}

/// `8`, `64k` (×1024), `1m` (×1024²).
fn bytes(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let (num, scale) = match s.strip_suffix('k') {
        Some(n) => (n.to_string(), 1024),
        None => match s.strip_suffix('m') {
            Some(n) => (n.to_string(), 1024 * 1024),
            None => (s.clone(), 1),
        },
    };
    num.trim().parse::<u64>().ok()?.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_of_the_issue_parse() {
        let mut f = Faults::default();
        parse("both:latency=50ms,jitter=10ms", &mut f).unwrap();
        assert_eq!(f.up.latency, Some(Latency { ms: 50, jitter_ms: 10 }));
        assert_eq!(f.down.latency, f.up.latency);
        parse("up:slice=8", &mut f).unwrap();
        assert_eq!(f.up.slice, Some(Slice { size: 8, jitter: 0, pause_ms: 0 }));
        assert_eq!(f.down.slice, None);
        parse("down:loss=20%", &mut f).unwrap();
        assert_eq!(f.down.loss, Some(0.2));
        parse("up:reset-after=2s", &mut f).unwrap();
        assert_eq!(f.up.reset_after_ms, Some(2000));
        parse("down:reorder=10%,delay=30ms", &mut f).unwrap();
        assert_eq!(f.down.reorder, Some(Reorder { p: 0.1, ms: 30 }));
        parse("up:bandwidth=64k", &mut f).unwrap();
        assert_eq!(f.up.bandwidth, Some(65_536));
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let mut f = Faults::default();
        assert_eq!(parse("latency=5ms", &mut f), Err(FaultSpecError::BadDir("latency=5ms".into())));
        assert_eq!(parse("sideways:loss=1%", &mut f), Err(FaultSpecError::BadDir("sideways".into())));
        assert_eq!(parse("up:wobble=3", &mut f), Err(FaultSpecError::UnknownKind("wobble".into())));
        assert!(matches!(parse("up:loss=120%", &mut f), Err(FaultSpecError::BadValue { .. })));
        assert!(matches!(parse("up:latency=2h", &mut f), Err(FaultSpecError::BadValue { .. })));
        assert!(matches!(parse("up:latency=61s", &mut f), Err(FaultSpecError::BadValue { .. })));
        assert!(matches!(parse("up:slice=0", &mut f), Err(FaultSpecError::BadValue { .. })));
        assert_eq!(
            parse("up:loss=1%,jitter=3", &mut f),
            Err(FaultSpecError::UnknownKey { kind: "loss".into(), key: "jitter".into() })
        );
        assert_eq!(f, Faults::default(), "nothing is half applied");
        let mut f = Faults::default();
        parse("up:slice=8", &mut f).unwrap();
        assert_eq!(f.check(Proto::Udp), Err(FaultSpecError::WrongProto { kind: "slice".into(), proto: Proto::Udp }));
        assert_eq!(f.check(Proto::Tcp), Ok(()));
    }

    #[test]
    fn the_same_seed_makes_the_same_choices() {
        let (mut a, mut b, mut c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let xs: Vec<bool> = (0..100).map(|_| a.chance(0.3)).collect();
        let ys: Vec<bool> = (0..100).map(|_| b.chance(0.3)).collect();
        let zs: Vec<bool> = (0..100).map(|_| c.chance(0.3)).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
        let hits = xs.iter().filter(|x| **x).count();
        assert!((10..=50).contains(&hits), "{hits} of 100 at p = 0.3");
        assert!((0..1000).all(|_| (40..=60).contains(&a.around(50, 10))));
        assert!(!a.chance(0.0) && a.chance(1.0));
    }
}
