-- Glovebox local schema, version 5: per-vehicle figures for the garage overview.
--
-- The overview of a fleet is one line per vehicle: odometer, economy (lifetime and the
-- last three months), costs (this year and lifetime), reminders. Computing it from the
-- records means reading every fill-up of every vehicle (2.5 s for 1,000 vehicles). This
-- table holds the parts that do not depend on "now", kept current by the write path in
-- the same transaction as the records they summarise (or removed, and recomputed right
-- after, when one transaction writes a very large history), so the overview reads 1,000
-- small rows. Local and derived: never synced, never backed up; a row from an older
-- build (another `version`) is recomputed.
--
-- economy_distance/_fuel: the engine's lifetime totals over valid segments, as it summed
--   them (REAL round-trips the exact double, so figures match the dashboard to the bit).
-- fuel_by_year, service_by_year: costs per calendar year, pairs of little-endian
--   (i32 year, i64 minor units).
-- recent_from, recent: every valid segment closing at or after recent_from (seconds), in
--   engine order, as little-endian (i64 end_at, f64 distance, f64 fuel) triples.
CREATE TABLE vehicle_stats (
    vehicle_id        TEXT PRIMARY KEY NOT NULL,
    version           INTEGER NOT NULL,
    odometer_max      REAL,
    odometer_min      REAL,
    economy_distance  REAL NOT NULL,
    economy_fuel      REAL NOT NULL,
    fuel_by_year      BLOB NOT NULL,
    service_by_year   BLOB NOT NULL,
    recent_from       INTEGER NOT NULL,
    recent            BLOB NOT NULL
) STRICT;
