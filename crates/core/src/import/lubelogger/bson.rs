//! A read-only BSON decoder for LiteDB v5 documents: standard BSON plus LiteDB's own
//! Decimal (type 0x13), which is .NET's System.Decimal (96-bit mantissa, scale 0–28,
//! sign), not IEEE decimal128. Every read is bounds-checked: malformed bytes give an
//! error, never a panic.

use std::fmt;

/// .NET System.Decimal: `mantissa / 10^scale`, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub mantissa: i128,
    pub scale: u8,
}

impl Decimal {
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 / 10f64.powi(self.scale as i32)
    }

    /// In integer units of 10^-digits, rounded half away from zero; the second value is
    /// true when rounding changed it (more decimals than the currency has).
    pub fn to_minor(self, digits: u8) -> Option<(i64, bool)> {
        let (m, s) = (self.mantissa, self.scale as i32);
        let d = digits as i32;
        let (v, rounded) = if s <= d {
            (m.checked_mul(10i128.checked_pow((d - s) as u32)?)?, false)
        } else {
            let div = 10i128.checked_pow((s - d) as u32)?;
            let q = m / div;
            let r = m % div;
            let q = if r.abs() * 2 >= div {
                q + m.signum()
            } else {
                q
            };
            (q, r != 0)
        };
        Some((i64::try_from(v).ok()?, rounded))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.mantissa < 0;
        let digits = self.mantissa.unsigned_abs().to_string();
        let s = self.scale as usize;
        let (int, frac) = if digits.len() > s {
            digits.split_at(digits.len() - s)
        } else {
            ("0", digits.as_str())
        };
        let sign = if neg { "-" } else { "" };
        if s == 0 {
            write!(f, "{sign}{int}")
        } else {
            write!(f, "{sign}{int}.{frac:0>s$}")
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Double(f64),
    String(String),
    Document(Document),
    Array(Vec<Value>),
    Binary(Vec<u8>),
    ObjectId([u8; 12]),
    Bool(bool),
    /// Milliseconds since the Unix epoch, UTC.
    DateTime(i64),
    Null,
    Int32(i32),
    Int64(i64),
    Decimal(Decimal),
    Min,
    Max,
}

/// A document's fields in stored order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document(pub Vec<(String, Value)>);

impl Document {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn str(&self, key: &str) -> &str {
        match self.get(key) {
            Some(Value::String(s)) => s,
            _ => "",
        }
    }

    pub fn bool(&self, key: &str) -> bool {
        matches!(self.get(key), Some(Value::Bool(true)))
    }

    /// Integers of any width, and whole doubles/decimals.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Value::Int32(v) => Some(*v as i64),
            Value::Int64(v) => Some(*v),
            Value::Double(v) if v.fract() == 0.0 => Some(*v as i64),
            Value::Decimal(d) if d.scale == 0 => i64::try_from(d.mantissa).ok(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn decimal(&self, key: &str) -> Option<Decimal> {
        match self.get(key)? {
            Value::Decimal(d) => Some(*d),
            Value::Int32(v) => Some(Decimal {
                mantissa: *v as i128,
                scale: 0,
            }),
            Value::Int64(v) => Some(Decimal {
                mantissa: *v as i128,
                scale: 0,
            }),
            Value::Double(v) => format!("{v}").parse::<f64>().ok().map(|_| {
                // Doubles are rare here (old records); keep six decimals exactly.
                Decimal {
                    mantissa: (v * 1e6).round() as i128,
                    scale: 6,
                }
            }),
            _ => None,
        }
    }

    pub fn doc(&self, key: &str) -> Option<&Document> {
        match self.get(key)? {
            Value::Document(d) => Some(d),
            _ => None,
        }
    }

    pub fn array(&self, key: &str) -> &[Value] {
        match self.get(key) {
            Some(Value::Array(a)) => a,
            _ => &[],
        }
    }
}

/// Why bytes are not a BSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BsonError(pub String);

impl fmt::Display for BsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    depth: u32,
}

/// Deeper nesting than any LubeLogger record has: a bound against crafted input.
const MAX_DEPTH: u32 = 64;

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BsonError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| BsonError(format!("truncated at byte {}", self.pos)))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, BsonError> {
        Ok(self.take(1)?[0])
    }

    fn i32(&mut self) -> Result<i32, BsonError> {
        let s = self.take(4)?;
        Ok(i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn i64(&mut self) -> Result<i64, BsonError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(i64::from_le_bytes(a))
    }

    fn cstring(&mut self) -> Result<String, BsonError> {
        let rest = &self.b[self.pos.min(self.b.len())..];
        let n = rest
            .iter()
            .position(|&c| c == 0)
            .ok_or_else(|| BsonError("unterminated key".into()))?;
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.pos += n + 1;
        Ok(s)
    }

    fn document(&mut self) -> Result<Document, BsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(BsonError("documents nested too deeply".into()));
        }
        let start = self.pos;
        let len = self.i32()?;
        if len < 5 {
            return Err(BsonError(format!("document length {len}")));
        }
        let end = start
            .checked_add(len as usize)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| BsonError(format!("document of {len} bytes runs past its data")))?;
        let mut fields = Vec::new();
        loop {
            if self.pos >= end {
                return Err(BsonError("document without its end byte".into()));
            }
            let tag = self.u8()?;
            if tag == 0 {
                break;
            }
            let key = self.cstring()?;
            let v = self.value(tag)?;
            fields.push((key, v));
        }
        if self.pos != end {
            return Err(BsonError(
                "document length does not match its fields".into(),
            ));
        }
        self.depth -= 1;
        Ok(Document(fields))
    }

    fn value(&mut self, tag: u8) -> Result<Value, BsonError> {
        Ok(match tag {
            0x01 => Value::Double(f64::from_bits(self.i64()? as u64)),
            0x02 => {
                let n = self.i32()?;
                if n < 1 {
                    return Err(BsonError(format!("string length {n}")));
                }
                let s = self.take(n as usize)?;
                Value::String(String::from_utf8_lossy(&s[..s.len() - 1]).into_owned())
            }
            0x03 => Value::Document(self.document()?),
            0x04 => {
                let d = self.document()?;
                Value::Array(d.0.into_iter().map(|(_, v)| v).collect())
            }
            0x05 => {
                let n = self.i32()?;
                if n < 0 {
                    return Err(BsonError(format!("binary length {n}")));
                }
                let _subtype = self.u8()?;
                Value::Binary(self.take(n as usize)?.to_vec())
            }
            0x07 => {
                let mut id = [0u8; 12];
                id.copy_from_slice(self.take(12)?);
                Value::ObjectId(id)
            }
            0x08 => Value::Bool(self.u8()? != 0),
            0x09 => Value::DateTime(self.i64()?),
            0x0A => Value::Null,
            0x10 => Value::Int32(self.i32()?),
            0x12 => Value::Int64(self.i64()?),
            0x13 => {
                // System.Decimal.GetBits: lo, mid, hi (96-bit mantissa), flags (scale in
                // bits 16–23, sign in bit 31).
                let lo = self.i32()? as u32 as i128;
                let mid = self.i32()? as u32 as i128;
                let hi = self.i32()? as u32 as i128;
                let flags = self.i32()? as u32;
                let scale = ((flags >> 16) & 0xff) as u8;
                if scale > 28 {
                    return Err(BsonError(format!("decimal scale {scale}")));
                }
                let m = lo | (mid << 32) | (hi << 64);
                Value::Decimal(Decimal {
                    mantissa: if flags & 0x8000_0000 != 0 { -m } else { m },
                    scale,
                })
            }
            0xFF => Value::Min,
            0x7F => Value::Max,
            t => return Err(BsonError(format!("unknown BSON type 0x{t:02x}"))),
        })
    }
}

/// Decodes one document that fills `bytes` from its start.
pub fn document(bytes: &[u8]) -> Result<Document, BsonError> {
    Reader {
        b: bytes,
        pos: 0,
        depth: 0,
    }
    .document()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotnet_decimals_decode_exactly() {
        // 8.331 (Gallons in LubeLogger's demo) and 16.24.
        let d = Decimal {
            mantissa: 0x208b,
            scale: 3,
        };
        assert_eq!(d.to_string(), "8.331");
        assert_eq!(d.to_minor(2), Some((833, true)));
        let c = Decimal {
            mantissa: 1624,
            scale: 2,
        };
        assert_eq!(c.to_minor(2), Some((1624, false)));
        assert_eq!(c.to_minor(0), Some((16, true)));
        let n = Decimal {
            mantissa: -5,
            scale: 1,
        };
        assert_eq!(n.to_string(), "-0.5");
        assert_eq!(n.to_minor(0), Some((-1, true)));
        assert_eq!(
            Decimal {
                mantissa: 7,
                scale: 3
            }
            .to_string(),
            "0.007"
        );
    }

    #[test]
    fn malformed_documents_are_errors() {
        for bytes in [
            &b""[..],
            &[5, 0, 0, 0][..],
            &[4, 0, 0, 0, 0][..],
            &[200, 0, 0, 0, 0][..],
            &[12, 0, 0, 0, 0x02, b'a', 0, 0xff, 0xff, 0xff, 0x7f, 0][..],
            &[8, 0, 0, 0, 0x99, b'a', 0, 0][..],
        ] {
            assert!(document(bytes).is_err(), "{bytes:?}");
        }
        let ok = [12u8, 0, 0, 0, 0x10, b'x', 0, 7, 0, 0, 0, 0];
        assert_eq!(document(&ok).unwrap().int("x"), Some(7));
    }
}
