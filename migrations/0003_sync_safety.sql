-- Glovebox local schema, version 3: what sync needs to never lose an edit.
--
-- sync_quarantine: pulled row versions this build could not apply (a malformed row, a
-- value such as fuel kind "hydrogen" that only a newer Glovebox knows, a clock too far
-- ahead). The cursor moves on without them; each is retried after an upgrade (another
-- `app_version`), a clock_ahead one once the clock has caught up. One entry per row: a
-- newer version replaces an older one, and an applied or local version at least as new
-- makes it obsolete. `data` is the row's `data` object exactly as received (JSON text).
CREATE TABLE sync_quarantine (
    tbl          TEXT NOT NULL,
    id           TEXT NOT NULL,
    hlc          TEXT NOT NULL,
    deleted      INTEGER NOT NULL,
    data         TEXT NOT NULL,
    code         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    app_version  TEXT NOT NULL,
    PRIMARY KEY (tbl, id)
) STRICT;

-- sync_rejected: local versions the server refused (outcome `rejected`). The row stays
-- dirty, but this exact version (tbl, id, hlc) is not pushed again: an edit gives it a new
-- HLC and it goes out again; an upgrade or a clock that caught up retries it.
CREATE TABLE sync_rejected (
    tbl          TEXT NOT NULL,
    id           TEXT NOT NULL,
    hlc          TEXT NOT NULL,
    code         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    rejected_at  INTEGER NOT NULL,
    app_version  TEXT NOT NULL,
    PRIMARY KEY (tbl, id)
) STRICT;

-- The clock's high-water mark: the highest HLC this database has issued or stored. Every
-- write transaction seeds the clock from it and raises it, so a write is stamped above
-- everything the database holds across restarts and across processes. Seeded here from
-- the rows written before this version.
INSERT INTO local_meta (key, value)
SELECT 'hlc.high_water', max(h) FROM (
    SELECT max(hlc) AS h FROM vehicles
    UNION ALL SELECT max(hlc) FROM fuel_records
    UNION ALL SELECT max(hlc) FROM service_records
    UNION ALL SELECT max(hlc) FROM odometer_records
    UNION ALL SELECT max(hlc) FROM reminders
    UNION ALL SELECT max(hlc) FROM reminder_completions
) HAVING max(h) IS NOT NULL;
