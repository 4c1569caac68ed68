//! The checksums a template can compute and a received message can be checked against: the
//! 8-bit sum and XOR, and CRCs from the catalogue (`crc` crate: CRC-8/SMBUS, CRC-16/MODBUS,
//! CRC-16/IBM-3740 alias CCITT-FALSE, CRC-32/ISO-HDLC).

/// A checksum algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// The bytes added, modulo 256.
    Sum8,
    /// The bytes XORed.
    Xor8,
    /// CRC-8/SMBUS (poly 0x07, init 0).
    Crc8,
    /// CRC-16/MODBUS, sent little-endian as Modbus RTU does.
    Crc16Modbus,
    /// CRC-16/IBM-3740, known as CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF).
    Crc16CcittFalse,
    /// CRC-32/ISO-HDLC (zip, Ethernet, PNG).
    Crc32,
}

/// Byte order of a number on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    Big,
    Little,
}

const CRC8: crc::Crc<u8> = crc::Crc::<u8>::new(&crc::CRC_8_SMBUS);
const CRC16_MODBUS: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_MODBUS);
const CRC16_CCITT_FALSE: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_IBM_3740);
const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

impl Checksum {
    pub const ALL: [Checksum; 6] = [
        Checksum::Sum8,
        Checksum::Xor8,
        Checksum::Crc8,
        Checksum::Crc16Modbus,
        Checksum::Crc16CcittFalse,
        Checksum::Crc32,
    ];

    /// The name in a template, `${crc16-modbus}` (a format: never translated).
    pub fn name(self) -> &'static str {
        match self {
            Checksum::Sum8 => "sum8",
            Checksum::Xor8 => "xor8",
            Checksum::Crc8 => "crc8",
            Checksum::Crc16Modbus => "crc16-modbus",
            Checksum::Crc16CcittFalse => "crc16-ccitt-false",
            Checksum::Crc32 => "crc32",
        }
    }

    pub fn by_name(name: &str) -> Option<Checksum> {
        Checksum::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The name the CRC catalogue gives it, for messages: "CRC-16/MODBUS".
    pub fn title(self) -> &'static str {
        match self {
            Checksum::Sum8 => "SUM-8",
            Checksum::Xor8 => "XOR-8",
            Checksum::Crc8 => "CRC-8/SMBUS",
            Checksum::Crc16Modbus => "CRC-16/MODBUS",
            Checksum::Crc16CcittFalse => "CRC-16/CCITT-FALSE",
            Checksum::Crc32 => "CRC-32",
        }
    }

    /// Bytes it takes on the wire.
    pub fn width(self) -> usize {
        match self {
            Checksum::Sum8 | Checksum::Xor8 | Checksum::Crc8 => 1,
            Checksum::Crc16Modbus | Checksum::Crc16CcittFalse => 2,
            Checksum::Crc32 => 4,
        }
    }

    /// Modbus RTU sends its CRC low byte first; the others are written as their value reads.
    pub fn default_order(self) -> Order {
        match self {
            Checksum::Crc16Modbus => Order::Little,
            _ => Order::Big,
        }
    }

    /// The checksum of `data`.
    pub fn compute(self, data: &[u8]) -> u32 {
        match self {
            Checksum::Sum8 => u32::from(data.iter().fold(0u8, |a, &b| a.wrapping_add(b))),
            Checksum::Xor8 => u32::from(data.iter().fold(0u8, |a, &b| a ^ b)),
            Checksum::Crc8 => u32::from(CRC8.checksum(data)),
            Checksum::Crc16Modbus => u32::from(CRC16_MODBUS.checksum(data)),
            Checksum::Crc16CcittFalse => u32::from(CRC16_CCITT_FALSE.checksum(data)),
            Checksum::Crc32 => CRC32.checksum(data),
        }
    }

    /// `value` as the bytes on the wire, `width()` of them.
    pub fn to_wire(self, value: u32, order: Order) -> Vec<u8> {
        let be = value.to_be_bytes();
        let mut bytes = be.get(4 - self.width()..).unwrap_or(&be).to_vec();
        if order == Order::Little {
            bytes.reverse();
        }
        bytes
    }

    /// The value the last `width()` bytes of `msg` carry, read in `order`.
    fn read_wire(self, bytes: &[u8], order: Order) -> u32 {
        let fold = |acc: u32, b: &u8| acc << 8 | u32::from(*b);
        match order {
            Order::Big => bytes.iter().fold(0, fold),
            Order::Little => bytes.iter().rev().fold(0, fold),
        }
    }

    /// Checks a received message whose last `width()` bytes are this checksum over the rest.
    /// `None` when the message is too short to carry one.
    pub fn check(self, msg: &[u8], order: Order) -> Option<CheckResult> {
        let split = msg.len().checked_sub(self.width()).filter(|&s| s > 0)?;
        let (body, tail) = msg.split_at(split);
        let expected = self.compute(body);
        let got = self.read_wire(tail, order);
        Some(CheckResult { algo: self, expected, got, width: self.width() })
    }
}

/// What checking a received message found: the value computed over its body and the value it
/// carries (words in the faces: "CRC-16/MODBUS OK", "expected 0x… got 0x…").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub algo: Checksum,
    pub expected: u32,
    pub got: u32,
    /// Bytes of the checksum, for printing the values with as many hex digits.
    pub width: usize,
}

impl CheckResult {
    pub fn ok(&self) -> bool {
        self.expected == self.got
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue's check values: each algorithm over the ASCII bytes "123456789".
    #[test]
    fn published_check_values() {
        let data = b"123456789";
        assert_eq!(Checksum::Crc8.compute(data), 0xF4);
        assert_eq!(Checksum::Crc16Modbus.compute(data), 0x4B37);
        assert_eq!(Checksum::Crc16CcittFalse.compute(data), 0x29B1);
        assert_eq!(Checksum::Crc32.compute(data), 0xCBF4_3926);
        // 0x31 + … + 0x39 = 0x1DD; the XOR of '1'..'9' is '1' (the eight others cancel in pairs
        // of equal high nibbles: 0x30 ^ 0x30 …, leaving 1^2^…^9 = 1).
        assert_eq!(Checksum::Sum8.compute(data), 0xDD);
        assert_eq!(Checksum::Xor8.compute(data), 0x31);
    }

    /// The Modbus request of the issue: read 10 holding registers from unit 1.
    #[test]
    fn modbus_rtu_request_ends_in_c5_cd() {
        let frame = [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A];
        let crc = Checksum::Crc16Modbus;
        assert_eq!(crc.to_wire(crc.compute(&frame), crc.default_order()), [0xC5, 0xCD]);
        let mut full = frame.to_vec();
        full.extend([0xC5, 0xCD]);
        assert!(crc.check(&full, Order::Little).unwrap().ok());
        full[7] = 0xCE;
        let bad = crc.check(&full, Order::Little).unwrap();
        assert!(!bad.ok());
        assert_eq!((bad.expected, bad.got), (0xCDC5, 0xCEC5));
        assert_eq!(crc.check(&[1, 2], Order::Little), None);
    }

    #[test]
    fn wire_bytes_and_names() {
        assert_eq!(Checksum::Crc32.to_wire(0xCBF4_3926, Order::Big), [0xCB, 0xF4, 0x39, 0x26]);
        assert_eq!(Checksum::Crc32.to_wire(0xCBF4_3926, Order::Little), [0x26, 0x39, 0xF4, 0xCB]);
        assert_eq!(Checksum::Crc8.to_wire(0xF4, Order::Little), [0xF4]);
        for c in Checksum::ALL {
            assert_eq!(Checksum::by_name(c.name()), Some(c));
        }
    }
}
