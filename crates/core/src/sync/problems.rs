//! The rows sync could not take (quarantined on pull) or send (rejected by the server),
//! told the way a person recognises them: what kind of record, its vehicle and its date,
//! beside the stable code and the reason. Settings → Sync lists these.
//!
//! A quarantined row is described from the data it arrived with (it is not in its table);
//! a rejected one from the local row the server refused. Its vehicle's name comes from the
//! local vehicles, else from a quarantined vehicle row (a fill-up waiting for a vehicle
//! this build could not take yet).

use glovebox_protocol::SyncTable;
use rusqlite::Connection;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{quarantine, rejected};
use crate::store;
use crate::store::sync_rows::kind_of;
use crate::time;

/// Rows listed per kind at most (a newer Glovebox syncing a table this one lacks can
/// quarantine thousands); the totals say how many there are.
pub const MAX_LISTED: usize = 200;

/// One row sync could not take or send, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncProblem {
    pub table: String,
    pub id: String,
    /// What the row is ("fuel record", "vehicle", ...); the table's own name for one this
    /// build does not know.
    pub record: String,
    /// Its vehicle's name, where it can be told.
    pub vehicle: Option<String>,
    /// Its date (YYYY-MM-DD), for the kinds that have one.
    pub date: Option<String>,
    /// A tombstone (the row deletes its record).
    pub deleted: bool,
    /// Stable code (`clock_ahead`, `bad_value`, ...).
    pub code: String,
    pub reason: String,
    /// When it was received (quarantined) or refused (rejected), millis since the epoch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at_ms: i64,
}

/// Both lists, newest first, with their totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncProblems {
    /// Pulled rows this build could not apply (retried after an upgrade).
    pub quarantined: Vec<SyncProblem>,
    /// Local versions the server refused (sent again once edited).
    pub rejected: Vec<SyncProblem>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub quarantined_total: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rejected_total: u64,
}

pub(crate) fn list(conn: &Connection) -> crate::Result<SyncProblems> {
    let mut out = SyncProblems {
        quarantined_total: quarantine::count(conn)?,
        rejected_total: rejected::count(conn)?,
        ..SyncProblems::default()
    };
    for q in quarantine::list(conn)?.into_iter().take(MAX_LISTED) {
        let data = quarantined_data(conn, &q.table, &q.id)?;
        let head = Head {
            table: q.table,
            id: q.id,
            deleted: q.deleted,
            code: q.code,
            reason: q.reason,
            at_ms: q.received_at_ms,
        };
        out.quarantined.push(describe(conn, head, data.as_ref())?);
    }
    for r in rejected::list(conn)?.into_iter().take(MAX_LISTED) {
        let local = local_row(conn, &r.table, &r.id)?;
        let head = Head {
            deleted: local.as_ref().is_some_and(|l| l.1),
            table: r.table,
            id: r.id,
            code: r.code,
            reason: r.reason,
            at_ms: r.rejected_at_ms,
        };
        out.rejected
            .push(describe(conn, head, local.as_ref().map(|l| &l.0))?);
    }
    Ok(out)
}

/// What the quarantine or rejection entry itself says.
struct Head {
    table: String,
    id: String,
    deleted: bool,
    code: String,
    reason: String,
    at_ms: i64,
}

fn describe(
    conn: &Connection,
    h: Head,
    data: Option<&Map<String, Value>>,
) -> crate::Result<SyncProblem> {
    let known = SyncTable::from_name(&h.table);
    let record = known
        .map_or(h.table.as_str(), |t| kind_of(t).label())
        .to_owned();
    let vehicle = match known {
        Some(SyncTable::Vehicles) => match data.and_then(name_of) {
            Some(n) => Some(n),
            None => vehicle_name(conn, &h.id)?,
        },
        _ => match data
            .and_then(|d| d.get("vehicle_id"))
            .and_then(Value::as_str)
        {
            Some(v) => vehicle_name(conn, v)?,
            None => None,
        },
    };
    let date = data.and_then(|d| {
        ["occurred_at", "completed_at", "due_at"]
            .iter()
            .find_map(|k| d.get(*k).and_then(Value::as_i64))
            .map(|secs| time::from_sql(secs).format("%Y-%m-%d").to_string())
    });
    Ok(SyncProblem {
        table: h.table,
        id: h.id,
        record,
        vehicle,
        date,
        deleted: h.deleted,
        code: h.code,
        reason: h.reason,
        at_ms: h.at_ms,
    })
}

fn name_of(d: &Map<String, Value>) -> Option<String> {
    d.get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .map(str::to_owned)
}

fn quarantined_data(
    conn: &Connection,
    table: &str,
    id: &str,
) -> crate::Result<Option<Map<String, Value>>> {
    let text = store::quarantine::data_of(conn, table, id)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// The local row the server refused, as synced data (and whether it is a tombstone).
fn local_row(
    conn: &Connection,
    table: &str,
    id: &str,
) -> crate::Result<Option<(Map<String, Value>, bool)>> {
    let Some(t) = SyncTable::from_name(table) else {
        return Ok(None);
    };
    Ok(store::sync_rows::row_by_id(conn, t, id)?.map(|row| (row.data, row.deleted)))
}

fn vehicle_name(conn: &Connection, vehicle_id: &str) -> crate::Result<Option<String>> {
    if let Some(name) = store::vehicles::name_of(conn, vehicle_id)? {
        return Ok(Some(name));
    }
    let waiting = store::quarantine::data_of(conn, "vehicles", vehicle_id)?;
    Ok(waiting
        .and_then(|t| serde_json::from_str::<Map<String, Value>>(&t).ok())
        .and_then(|d| name_of(&d)))
}

#[cfg(test)]
mod tests {
    use glovebox_protocol::sync::SyncRow;
    use glovebox_protocol::Hlc;
    use serde_json::json;

    use super::super::decode::Problem;
    use super::super::tests::{fuel, garage};
    use super::super::{problems, quarantine, rejected};
    use crate::vehicles::VehicleInput;
    use crate::WriteOptions;

    fn row(table: &str, id: &str, data: serde_json::Value) -> SyncRow {
        SyncRow {
            table: table.into(),
            id: id.into(),
            hlc: Hlc::new(1_700_000_000_000, 0, "ee"),
            deleted: false,
            data: data.as_object().unwrap().clone(),
        }
    }

    #[test]
    fn each_row_is_told_by_its_kind_vehicle_and_date() {
        let (_dir, g) = garage();
        let golf = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        let fill = g
            .add_fuel(&fuel(&golf.id, "refused"), WriteOptions::default())
            .unwrap();
        g.store()
            .write("t", |tx| {
                // A vehicle this build cannot take, and a fill-up waiting for it.
                let mirai = row(
                    "vehicles",
                    "v-mirai",
                    json!({"name": "Mirai", "fuel_kind": "hydrogen"}),
                );
                quarantine::put(
                    tx,
                    &mirai,
                    &Problem::new("unknown_value", "fuel kind hydrogen"),
                )?;
                let waiting = row(
                    "fuel_records",
                    "f-mirai",
                    json!({"vehicle_id": "v-mirai", "occurred_at": 1_709_283_600}),
                );
                quarantine::put(
                    tx,
                    &waiting,
                    &Problem::new("invalid", "vehicle_id: no such vehicle"),
                )?;
                // A table this build does not know.
                quarantine::put(
                    tx,
                    &row("trips", "t1", json!({})),
                    &Problem::new("unknown_table", "trips"),
                )?;
                let hlc: String = tx.query_row(
                    "SELECT hlc FROM fuel_records WHERE id = ?1",
                    [&fill.id],
                    |r| r.get(0),
                )?;
                let hlc: Hlc = hlc.parse().unwrap();
                rejected::record(
                    tx,
                    "fuel_records",
                    &fill.id,
                    &hlc,
                    "clock_ahead",
                    "10 min ahead",
                )?;
                Ok(())
            })
            .unwrap();

        let p = problems(&g).unwrap();
        assert_eq!((p.quarantined_total, p.rejected_total), (3, 1));
        let told = |x: &super::SyncProblem| {
            (
                x.record.clone(),
                x.vehicle.clone(),
                x.date.clone(),
                x.code.clone(),
            )
        };
        let mut q: Vec<_> = p.quarantined.iter().map(told).collect();
        q.sort();
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            q,
            vec![
                (
                    "fuel record".into(),
                    s("Mirai"),
                    s("2024-03-01"),
                    "invalid".into()
                ),
                ("trips".into(), None, None, "unknown_table".into()),
                ("vehicle".into(), s("Mirai"), None, "unknown_value".into()),
            ]
        );
        assert_eq!(
            told(&p.rejected[0]),
            (
                "fuel record".into(),
                s("Golf"),
                s("2024-03-01"),
                "clock_ahead".into()
            )
        );
        assert_eq!(p.rejected[0].reason, "10 min ahead");
    }
}
