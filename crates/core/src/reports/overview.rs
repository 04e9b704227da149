//! The garage overview: one line per (non-archived) vehicle. This file holds its types and
//! the reference build from every vehicle's dashboard (`compute`); what the app shows is
//! built set-based from stored per-vehicle stats (headline.rs), and after a write only the
//! written vehicle's line is figured again (overview_log.rs). Tests hold all three equal.

use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::dashboard::{Dashboard, EconomyFigure};
use crate::error::Result;
use crate::reminders::Urgency;
use crate::units::{Currency, Distance};
use crate::vehicles::Vehicle;

/// A vehicle's headline numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VehicleHeadline {
    pub vehicle_id: String,
    pub name: String,
    pub make: String,
    pub model: String,
    pub odometer: Option<Distance>,
    pub economy_recent: Option<EconomyFigure>,
    pub economy_lifetime: Option<EconomyFigure>,
    pub currency: Currency,
    pub cost_this_year_minor: i64,
    pub cost_lifetime_minor: i64,
    pub cost_per_distance_minor: Option<f64>,
    /// Active reminders that are urgent or worse, and how many of those are past due.
    pub due_reminders: u32,
    pub past_due_reminders: u32,
    /// The most pressing reminder: title and urgency.
    pub next_reminder: Option<(String, Urgency)>,
}

impl VehicleHeadline {
    pub fn from_dashboard(d: &Dashboard) -> VehicleHeadline {
        VehicleHeadline {
            vehicle_id: d.vehicle.id.clone(),
            name: d.vehicle.name.clone(),
            make: d.vehicle.make.clone(),
            model: d.vehicle.model.clone(),
            odometer: d.odometer,
            economy_recent: d.economy_recent,
            economy_lifetime: d.economy_lifetime,
            currency: d.vehicle.currency,
            cost_this_year_minor: d.cost_this_year.total_minor,
            cost_lifetime_minor: d.cost_lifetime.total_minor,
            cost_per_distance_minor: d.cost_per_distance_minor,
            due_reminders: d.due_reminders,
            past_due_reminders: d.past_due_reminders,
            next_reminder: d
                .reminders
                .first()
                .map(|s| (s.reminder.title.clone(), s.urgency)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GarageOverview {
    pub as_of: NaiveDateTime,
    /// In the vehicle list's order (by name).
    pub vehicles: Vec<VehicleHeadline>,
    /// Totals over the garage (counts only: money is per currency, so per vehicle).
    pub due_reminders: u32,
    pub past_due_reminders: u32,
}

/// Builds the overview from `vehicles` with `dashboard` giving each one's dashboard
/// (cached or fresh: the caller decides).
pub fn compute(
    now: NaiveDateTime,
    vehicles: &[Vehicle],
    mut dashboard: impl FnMut(&Vehicle) -> Result<Arc<Dashboard>>,
) -> Result<GarageOverview> {
    let mut lines = Vec::with_capacity(vehicles.len());
    for v in vehicles.iter().filter(|v| !v.archived) {
        let d = dashboard(v)?;
        lines.push(VehicleHeadline::from_dashboard(&d));
    }
    Ok(GarageOverview {
        as_of: now,
        due_reminders: lines.iter().map(|l| l.due_reminders).sum(),
        past_due_reminders: lines.iter().map(|l| l.past_due_reminders).sum(),
        vehicles: lines,
    })
}
