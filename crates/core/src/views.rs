//! Read models the desktop UI shows, computed from the Garage on demand: fuel economy per
//! fill and in total, reminders with their urgency, and the garage cards. Where the report
//! cache (`reports`) offers the same figures, the UI reads those instead.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::economy::{self, EconomySummary, FillRole, FillUp};
use crate::error::Result;
use crate::garage::Garage;
use crate::reminders::urgency::{self, Urgency};
use crate::reminders::Reminder;
use crate::units::EconomyUnit;
use crate::vehicles::Vehicle;
use crate::Page;

/// One fill-up's economy, in the vehicle's display unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FillFigure {
    pub id: String,
    /// Set on the full fill that closes a valid segment: that segment's economy.
    pub economy: Option<f64>,
    /// Counts in no figure: before the first full fill, after the last, or voided.
    pub excluded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FuelEconomyView {
    pub unit: EconomyUnit,
    /// Total distance over total fuel of every valid segment.
    pub lifetime: Option<f64>,
    pub best: Option<f64>,
    pub worst: Option<f64>,
    pub segments: u32,
    pub voided_segments: u32,
    pub fills: Vec<FillFigure>,
}

/// A reminder and how pressing it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReminderView {
    pub reminder: Reminder,
    pub urgency: Urgency,
    /// Whole days to the due date (negative when past).
    pub days_left: Option<i32>,
    /// Distance to the due odometer in the vehicle's unit (negative when past).
    pub distance_left: Option<f64>,
}

/// A vehicle's headline numbers for the garage view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GarageCard {
    pub vehicle: Vehicle,
    pub odometer: Option<f64>,
    pub lifetime_economy: Option<f64>,
    /// The most pressing active reminder.
    pub next_reminder: Option<ReminderView>,
    /// Reminders urgent or worse.
    pub due_count: u32,
    pub worst: Urgency,
}

pub(crate) fn summary(garage: &Garage, v: &Vehicle) -> Result<EconomySummary> {
    let fills: Vec<FillUp> = garage
        .fuel_records(&v.id, Page::ALL)?
        .iter()
        .map(FillUp::from)
        .collect();
    Ok(economy::compute(&fills, v.distance_unit, v.volume_unit))
}

fn display(e: Option<crate::units::Economy>, unit: EconomyUnit) -> Option<f64> {
    e.and_then(|e| e.value_in(unit))
}

pub fn fuel_economy(garage: &Garage, vehicle_id: &str) -> Result<FuelEconomyView> {
    let v = garage.vehicle(vehicle_id)?;
    let s = summary(garage, &v)?;
    let unit = v.economy_unit;
    let fills = s
        .fills
        .iter()
        .map(|f| FillFigure {
            id: f.id.clone(),
            economy: match f.role {
                FillRole::Closes { .. } => display(f.economy, unit),
                _ => None,
            },
            excluded: matches!(
                f.role,
                FillRole::BeforeFirstFull | FillRole::Voided | FillRole::Open
            ),
        })
        .collect();
    Ok(FuelEconomyView {
        unit,
        lifetime: display(s.average, unit),
        best: display(s.best, unit),
        worst: display(s.worst, unit),
        segments: s.segments.len() as u32,
        voided_segments: s.voided_segments as u32,
        fills,
    })
}

fn reminder_views(
    garage: &Garage,
    vehicle_id: &str,
    now: NaiveDateTime,
    odometer: Option<f64>,
) -> Result<Vec<ReminderView>> {
    let mut list: Vec<_> = garage
        .reminders(vehicle_id)?
        .iter()
        .map(|r| urgency::status(r, now, odometer))
        .collect();
    urgency::sort_most_pressing(&mut list);
    Ok(list
        .into_iter()
        .map(|s| ReminderView {
            reminder: s.reminder,
            urgency: s.urgency,
            days_left: s.days_left.map(|d| d as i32),
            distance_left: s.distance_left.map(|d| d.value),
        })
        .collect())
}

/// Active reminders of a vehicle, most pressing first.
pub fn reminders(garage: &Garage, vehicle_id: &str) -> Result<Vec<ReminderView>> {
    let odometer = garage.current_odometer(vehicle_id)?.map(|d| d.value);
    reminder_views(garage, vehicle_id, garage.now(), odometer)
}

/// One card per vehicle that is not archived.
pub fn garage_cards(garage: &Garage) -> Result<Vec<GarageCard>> {
    let now = garage.now();
    garage
        .vehicles(false)?
        .into_iter()
        .map(|v| {
            let odometer = garage.current_odometer(&v.id)?.map(|d| d.value);
            let reminders = reminder_views(garage, &v.id, now, odometer)?;
            let due: Vec<Urgency> = reminders
                .iter()
                .map(|r| r.urgency)
                .filter(|u| u.is_due())
                .collect();
            let lifetime_economy = display(summary(garage, &v)?.average, v.economy_unit);
            Ok(GarageCard {
                odometer,
                lifetime_economy,
                due_count: due.len() as u32,
                worst: due.into_iter().max().unwrap_or(Urgency::NotUrgent),
                next_reminder: reminders.into_iter().next(),
                vehicle: v,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuel::FuelInput;
    use crate::reminders::ReminderInput;
    use crate::vehicles::VehicleInput;
    use crate::WriteOptions;
    use chrono::NaiveDate;

    fn at(d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    fn now() -> NaiveDateTime {
        at(25)
    }

    fn fill(v: &str, day: u32, odo: f64, qty: f64, full: bool) -> FuelInput {
        FuelInput {
            vehicle_id: v.into(),
            occurred_at: at(day),
            odometer: odo,
            quantity: qty,
            total_cost_minor: 5000,
            is_full: full,
            missed_previous: false,
            station: String::new(),
            notes: String::new(),
            tags: vec![],
        }
    }

    #[test]
    fn partial_fuel_counts_in_the_segment_it_falls_in() {
        let dir = tempfile::tempdir().unwrap();
        let g = Garage::open(dir.path().join("g.db")).unwrap().with_now(now);
        let v = g.create_vehicle(&VehicleInput::new("Golf")).unwrap();
        for f in [
            fill(&v.id, 1, 10_000.0, 40.0, true),
            fill(&v.id, 10, 10_500.0, 20.0, false),
            fill(&v.id, 20, 11_000.0, 25.0, true),
        ] {
            g.add_fuel(&f, WriteOptions::default()).unwrap();
        }
        let e = fuel_economy(&g, &v.id).unwrap();
        // 45 L over 1000 km.
        assert!((e.lifetime.unwrap() - 4.5).abs() < 1e-9, "{e:?}");
        assert_eq!(e.segments, 1);
        let closing: Vec<_> = e.fills.iter().filter_map(|f| f.economy).collect();
        assert_eq!(closing.len(), 1);
        assert!((closing[0] - 4.5).abs() < 1e-9);

        g.add_reminder(&ReminderInput {
            vehicle_id: v.id.clone(),
            title: "Inspection".into(),
            notes: String::new(),
            due_at: Some(at(25) + chrono::Duration::days(12)),
            due_odometer: None,
            recur_months: None,
            recur_distance: None,
            schedule: Default::default(),
            thresholds: Default::default(),
        })
        .unwrap();
        let cards = garage_cards(&g).unwrap();
        assert_eq!(cards.len(), 1);
        let c = &cards[0];
        assert_eq!(c.odometer, Some(11_000.0));
        assert!((c.lifetime_economy.unwrap() - 4.5).abs() < 1e-9);
        assert_eq!((c.due_count, c.worst), (1, Urgency::Urgent));
        assert_eq!(c.next_reminder.as_ref().unwrap().days_left, Some(12));
    }
}
