-- Glovebox local schema, version 1.
--
-- Every synced table carries the same sync columns:
--   id          UUIDv7 text, primary key (time-ordered, unique across devices)
--   hlc         hybrid logical clock of the last write (text sorts like the clock)
--   deleted     1 = tombstone; rows are never removed, so deletes sync like edits
--   dirty       1 = written locally and not yet acknowledged by the sync server
--   updated_at  wall-clock millis of the last local write, for people and debugging
-- Distances and volumes are in the vehicle's own units; money in integer minor units of
-- the vehicle's currency. Times are local wall-clock seconds since 1970-01-01 (no zone),
-- which is how people think of "when I filled up".
-- Hot paths read live rows only, so their indexes are partial (WHERE deleted = 0) and
-- every such query repeats that predicate.
-- No SQL foreign keys between synced tables: a pull may deliver a fuel record before the
-- newest version of its vehicle (last-writer-wins reorders the server's sequence), so the
-- write path checks references instead and sync applies whole pages in one transaction.

CREATE TABLE vehicles (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    make           TEXT NOT NULL DEFAULT '',
    model          TEXT NOT NULL DEFAULT '',
    year           INTEGER,
    plate          TEXT NOT NULL DEFAULT '',
    vin            TEXT NOT NULL DEFAULT '',
    fuel_kind      TEXT NOT NULL,
    distance_unit  TEXT NOT NULL,
    volume_unit    TEXT NOT NULL,
    economy_unit   TEXT NOT NULL,
    currency       TEXT NOT NULL,
    archived       INTEGER NOT NULL DEFAULT 0,
    hlc            TEXT NOT NULL,
    deleted        INTEGER NOT NULL DEFAULT 0,
    dirty          INTEGER NOT NULL DEFAULT 1,
    updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX vehicles_live_by_name ON vehicles (archived, name, id) WHERE deleted = 0;
CREATE INDEX vehicles_dirty ON vehicles (hlc) WHERE dirty = 1;

CREATE TABLE fuel_records (
    id               TEXT PRIMARY KEY NOT NULL,
    vehicle_id       TEXT NOT NULL,
    occurred_at      INTEGER NOT NULL,
    odometer         REAL NOT NULL,
    quantity         REAL NOT NULL,
    total_cost       INTEGER NOT NULL,
    is_full          INTEGER NOT NULL,
    missed_previous  INTEGER NOT NULL DEFAULT 0,
    station          TEXT NOT NULL DEFAULT '',
    notes            TEXT NOT NULL DEFAULT '',
    tags             TEXT NOT NULL DEFAULT '',
    hlc              TEXT NOT NULL,
    deleted          INTEGER NOT NULL DEFAULT 0,
    dirty            INTEGER NOT NULL DEFAULT 1,
    updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX fuel_by_vehicle_date ON fuel_records (vehicle_id, occurred_at, id) WHERE deleted = 0;
CREATE INDEX fuel_by_vehicle_odometer ON fuel_records (vehicle_id, odometer) WHERE deleted = 0;
CREATE INDEX fuel_dirty ON fuel_records (hlc) WHERE dirty = 1;

CREATE TABLE service_records (
    id           TEXT PRIMARY KEY NOT NULL,
    vehicle_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    odometer     REAL,
    title        TEXT NOT NULL,
    category     TEXT NOT NULL DEFAULT '',
    cost         INTEGER NOT NULL DEFAULT 0,
    notes        TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '',
    hlc          TEXT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    dirty        INTEGER NOT NULL DEFAULT 1,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX service_by_vehicle_date ON service_records (vehicle_id, occurred_at, id) WHERE deleted = 0;
CREATE INDEX service_by_vehicle_odometer ON service_records (vehicle_id, odometer) WHERE deleted = 0;
CREATE INDEX service_dirty ON service_records (hlc) WHERE dirty = 1;

CREATE TABLE odometer_records (
    id           TEXT PRIMARY KEY NOT NULL,
    vehicle_id   TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    odometer     REAL NOT NULL,
    notes        TEXT NOT NULL DEFAULT '',
    hlc          TEXT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    dirty        INTEGER NOT NULL DEFAULT 1,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX odometer_by_vehicle_date ON odometer_records (vehicle_id, occurred_at, id) WHERE deleted = 0;
CREATE INDEX odometer_by_vehicle_odometer ON odometer_records (vehicle_id, odometer) WHERE deleted = 0;
CREATE INDEX odometer_dirty ON odometer_records (hlc) WHERE dirty = 1;

-- A reminder is due by date, by odometer, or both (whichever comes first).
-- schedule: 'fixed' re-arms from the previous due point, 'from_completion' from when it
-- was actually done. Custom urgency thresholds belong to this reminder only.
CREATE TABLE reminders (
    id                    TEXT PRIMARY KEY NOT NULL,
    vehicle_id            TEXT NOT NULL,
    title                 TEXT NOT NULL,
    notes                 TEXT NOT NULL DEFAULT '',
    due_at                INTEGER,
    due_odometer          REAL,
    recur_months          INTEGER,
    recur_distance        REAL,
    schedule              TEXT NOT NULL DEFAULT 'from_completion',
    urgent_days           INTEGER,
    very_urgent_days      INTEGER,
    urgent_distance       REAL,
    very_urgent_distance  REAL,
    active                INTEGER NOT NULL DEFAULT 1,
    hlc                   TEXT NOT NULL,
    deleted               INTEGER NOT NULL DEFAULT 0,
    dirty                 INTEGER NOT NULL DEFAULT 1,
    updated_at            INTEGER NOT NULL
) STRICT;
CREATE INDEX reminders_by_vehicle_due ON reminders (vehicle_id, active, due_at) WHERE deleted = 0;
CREATE INDEX reminders_by_due ON reminders (active, due_at) WHERE deleted = 0;
CREATE INDEX reminders_dirty ON reminders (hlc) WHERE dirty = 1;

CREATE TABLE reminder_completions (
    id                 TEXT PRIMARY KEY NOT NULL,
    reminder_id        TEXT NOT NULL,
    vehicle_id         TEXT NOT NULL,
    completed_at       INTEGER NOT NULL,
    odometer           REAL,
    service_record_id  TEXT,
    notes              TEXT NOT NULL DEFAULT '',
    hlc                TEXT NOT NULL,
    deleted            INTEGER NOT NULL DEFAULT 0,
    dirty              INTEGER NOT NULL DEFAULT 1,
    updated_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX completions_by_reminder ON reminder_completions (reminder_id, completed_at) WHERE deleted = 0;
CREATE INDEX completions_by_vehicle ON reminder_completions (vehicle_id, completed_at) WHERE deleted = 0;
CREATE INDEX completions_dirty ON reminder_completions (hlc) WHERE dirty = 1;

-- Local, unsynced facts about this database: device id, sync cursor, preferences.
CREATE TABLE local_meta (
    key    TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
) STRICT;
