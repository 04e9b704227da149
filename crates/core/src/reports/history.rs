//! A vehicle's fuel history: its fill-ups read once, in engine order, with one run of the
//! economy engine over them. The dashboard and every fuel report of the vehicle are built
//! from the same history (cached per vehicle generation beside them), instead of each
//! reading the fill-ups and running the engine again.

use rusqlite::Connection;

use crate::economy::{self, Analysis, FillUp};
use crate::error::Result;
use crate::store::{self, Store};
use crate::vehicles::Vehicle;

#[derive(Debug, Clone, PartialEq)]
pub struct FuelHistory {
    pub fills: Vec<FillUp>,
    pub analysis: Analysis,
}

impl FuelHistory {
    /// Reads the fill-ups of `v` and runs the engine.
    pub(crate) fn load(conn: &Connection, v: &Vehicle) -> Result<FuelHistory> {
        let fills = store::fuel::fills(conn, &v.id)?;
        let analysis = economy::analyse(&fills, v.distance_unit, v.volume_unit);
        Ok(FuelHistory { fills, analysis })
    }

    /// [`FuelHistory::load`], each step timed under its name.
    pub(crate) fn read(store: &Store, conn: &Connection, v: &Vehicle) -> Result<FuelHistory> {
        let fills = store.timed("report.q.fuel_fills", || store::fuel::fills(conn, &v.id))?;
        let analysis = store.timed("report.economy", || {
            economy::analyse(&fills, v.distance_unit, v.volume_unit)
        });
        Ok(FuelHistory { fills, analysis })
    }

    /// The fill at engine position `pos`.
    pub fn fill(&self, pos: usize) -> &FillUp {
        self.analysis.fill(&self.fills, pos)
    }
}
