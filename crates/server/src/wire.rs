//! Reading pushed rows one by one and writing pull pages without re-encoding.
//!
//! A push body is parsed in two steps: the envelope, with each row kept as the raw JSON
//! text it arrived as, then each row on its own. A row that does not parse, or fails
//! `check_row` (`check_head` and `check_columns`), is refused with its own outcome while the rest of the batch applies;
//! its raw `data` text is what the server stores and sends back on pulls.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use glovebox_protocol::rows::{check_columns, check_head, RowProblem};
use glovebox_protocol::Hlc;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::storage::{PullPage, PushRow};

/// `POST /v1/push`, rows still raw.
#[derive(Debug, Deserialize)]
pub struct PushBody<'a> {
    #[serde(borrow)]
    pub rows: Vec<&'a RawValue>,
    #[serde(default)]
    pub epoch: Option<String>,
    /// `PushRequest::known`: checked by the storage in the push's transaction.
    #[serde(default)]
    pub known: u64,
}

/// The wire shape of one row (`SyncRow`), with `data` kept raw.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireRow<'a> {
    table: String,
    id: String,
    hlc: Hlc,
    #[serde(default)]
    deleted: bool,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// Just enough of a row that failed to parse to name it in its outcome.
#[derive(Deserialize, Default)]
struct RowName {
    #[serde(default)]
    table: Option<serde_json::Value>,
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// A row the server refuses: what to name it by, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub table: String,
    pub id: String,
    pub problem: RowProblem,
}

/// Longest table or id echoed back for a refused row: a hostile row must not make the
/// answer larger than its request.
const MAX_ECHO: usize = 64;

fn echo(v: Option<serde_json::Value>) -> String {
    match v {
        Some(serde_json::Value::String(s)) => {
            let mut end = s.len().min(MAX_ECHO);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s[..end].to_owned()
        }
        _ => String::new(),
    }
}

/// Parses and checks one pushed row. `now_ms` is the server's wall clock.
pub fn parse_row(raw: &RawValue, now_ms: u64) -> Result<PushRow, Refused> {
    let text = raw.get();
    let wire: WireRow<'_> = match serde_json::from_str(text) {
        Ok(w) => w,
        Err(e) => {
            let name: RowName = serde_json::from_str(text).unwrap_or_default();
            return Err(Refused {
                table: echo(name.table),
                id: echo(name.id),
                problem: RowProblem::Malformed(e.to_string()),
            });
        }
    };
    let refuse = |problem: RowProblem, wire: &WireRow<'_>| Refused {
        table: echo(Some(wire.table.clone().into())),
        id: echo(Some(wire.id.clone().into())),
        problem,
    };
    let columns = match parse_flat_object(wire.data.get()) {
        Ok(c) => c,
        Err(e) => return Err(refuse(RowProblem::Malformed(e.to_string()), &wire)),
    };
    // `check_row` in two parts, on the columns as parsed: no `SyncRow` with a map of
    // owned names and values is built only to be checked and dropped (that was a quarter
    // of the server's instructions per push).
    let checked =
        check_head(&wire.table, &wire.id, &wire.hlc, text.len(), now_ms).and_then(|table| {
            check_columns(
                columns.len(),
                columns
                    .iter()
                    .map(|(name, scalar)| (name.as_ref(), *scalar)),
            )
            .map(|()| table)
        });
    match checked {
        Ok(table) => Ok(PushRow {
            table,
            id: wire.id,
            hlc: wire.hlc,
            deleted: wire.deleted,
            data: wire.data.get().to_owned(),
        }),
        Err(problem) => Err(refuse(problem, &wire)),
    }
}

/// A column name as parsed: borrowed from the text unless it had escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a column name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Name(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Whether a column's value is a scalar (null, boolean, number, string); an array or an
/// object is read through and answers false. Any JSON the `serde_json::Value` parser
/// refuses is refused here too: both read numbers and strings the same way.
struct Scalar(bool);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar(true))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scalar, E> {
                Ok(Scalar(true))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Scalar, E> {
                Ok(Scalar(true))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar(true))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Scalar, E> {
                Ok(Scalar(true))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(true))
            }
            // Nested values are read as `Value`s, not skipped: the parser's nesting limit
            // then refuses what it refused when every column became a `Value`.
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Scalar, A::Error> {
                while a.next_element::<serde_json::Value>()?.is_some() {}
                Ok(Scalar(false))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Scalar, A::Error> {
                while a.next_entry::<String, serde_json::Value>()?.is_some() {}
                Ok(Scalar(false))
            }
        }
        d.deserialize_any(V)
    }
}

/// `data`'s columns in name order (as `serde_json::Map` keeps them), each with whether
/// its value is a scalar; duplicate column names are refused: the raw text is what gets
/// stored and forwarded, and with a duplicate key two parsers could read two different
/// rows.
fn parse_flat_object(text: &str) -> Result<BTreeMap<Cow<'_, str>, bool>, serde_json::Error> {
    struct NoDuplicates;
    impl<'de> Visitor<'de> for NoDuplicates {
        type Value = BTreeMap<Cow<'de, str>, bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("`data` as a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut map = BTreeMap::new();
            while let Some(Name(k)) = access.next_key::<Name<'de>>()? {
                let Scalar(scalar) = access.next_value()?;
                if map.contains_key(&k) {
                    return Err(de::Error::custom(format!("duplicate column {k:?}")));
                }
                map.insert(k, scalar);
            }
            Ok(map)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let map = (&mut de).deserialize_map(NoDuplicates)?;
    de.end()?;
    Ok(map)
}

/// The JSON of a pull response (`PullResponse`), rows written from their stored text.
pub fn pull_json(page: &PullPage, epoch: &str) -> String {
    let bytes: usize = page.rows.iter().map(|r| r.json_len() + 1).sum();
    let mut out = String::with_capacity(bytes + 96 + epoch.len());
    out.push_str("{\"rows\":[");
    for (i, row) in page.rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        row.write_json(&mut out);
    }
    out.push_str("],\"cursor\":");
    out.push_str(&page.cursor.to_string());
    out.push_str(",\"has_more\":");
    out.push_str(if page.has_more { "true" } else { "false" });
    out.push_str(",\"epoch\":");
    out.push_str(&serde_json::to_string(epoch).unwrap_or_else(|_| "\"\"".into()));
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StoredRow;
    use glovebox_protocol::sync::PullResponse;

    const ID: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    const NOW: u64 = 1_800_000_000_000;

    fn parse(text: &str) -> Result<PushRow, Refused> {
        let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
        parse_row(&raw, NOW)
    }

    fn row_json(data: &str) -> String {
        format!(
            r#"{{"table":"vehicles","id":"{ID}","hlc":"{}","data":{data}}}"#,
            Hlc::new(NOW, 0, "ab")
        )
    }

    #[test]
    fn a_good_row_keeps_its_data_text_exactly() {
        let data = r#"{ "name" : "Golf",  "year": 2019.0 }"#;
        let r = parse(&row_json(data)).unwrap();
        assert_eq!(r.data, data);
        assert!(!r.deleted);
    }

    #[test]
    fn each_bad_row_is_named_with_a_code() {
        let cases = [
            (row_json(r#"{"name":"a","name":"b"}"#), "malformed_row"),
            (row_json(r#"[1]"#), "malformed_row"),
            (row_json(r#"{"name":{"a":1}}"#), "not_flat"),
            (row_json(r#"{"Name":1}"#), "bad_column"),
            (
                format!(r#"{{"table":"vehicles","id":"{ID}","hlc":"nope","data":{{}}}}"#),
                "malformed_row",
            ),
            (
                format!(
                    r#"{{"table":"users","id":"{ID}","hlc":"{}","data":{{}}}}"#,
                    Hlc::new(1, 0, "ab")
                ),
                "unknown_table",
            ),
            (r#"{"table":"vehicles","id":7}"#.to_owned(), "malformed_row"),
            (r#"[]"#.to_owned(), "malformed_row"),
            (
                format!(
                    r#"{{"table":"vehicles","id":"{ID}","hlc":"{}","data":{{}},"extra":1}}"#,
                    Hlc::new(1, 0, "ab")
                ),
                "malformed_row",
            ),
        ];
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let cases = cases
            .into_iter()
            .chain([(row_json(&format!(r#"{{"name":{deep}}}"#)), "malformed_row")]);
        for (text, code) in cases {
            let e = parse(&text).unwrap_err();
            assert_eq!(e.problem.code(), code, "{text}: {e:?}");
        }
        let e = parse(r#"{"table":"vehicles","id":"x"}"#).unwrap_err();
        assert_eq!((e.table.as_str(), e.id.as_str()), ("vehicles", "x"));
        let long = format!(r#"{{"table":"{}"}}"#, "é".repeat(100));
        assert!(parse(&long).unwrap_err().table.len() <= MAX_ECHO);
    }

    #[test]
    fn pull_json_parses_as_the_protocol_type() {
        let page = PullPage {
            rows: vec![StoredRow {
                table: "vehicles".into(),
                id: ID.into(),
                hlc: Hlc::new(5, 0, "ab").to_string(),
                deleted: true,
                data: r#"{"name": "Golf"}"#.into(),
                seq: 7,
            }],
            cursor: 7,
            has_more: true,
        };
        let p: PullResponse = serde_json::from_str(&pull_json(&page, "a.b")).unwrap();
        assert_eq!(p.rows[0].data["name"], "Golf");
        assert!(p.rows[0].deleted && p.has_more);
        assert_eq!((p.cursor, p.epoch.as_str()), (7, "a.b"));
    }
}
