-- Protocol version 2: epochs, sequence gaps, no origin filter on pulls.

-- The random id of this database. A copy of the file keeps it (a restored copy is
-- caught by the sequence gaps below instead).
CREATE TABLE server_state (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    epoch  TEXT NOT NULL
) STRICT;
INSERT INTO server_state (id, epoch) VALUES (1, lower(hex(randomblob(16))));

-- Each account's own random epoch: a re-created account gets a new one.
ALTER TABLE users ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
UPDATE users SET epoch = lower(hex(randomblob(16)));

-- Sequence numbers this database skipped: (lo, hi) exclusive, recorded when an account's
-- first push after a server start jumped from lo to the start's floor hi. A pull cursor
-- inside a gap was issued by a copy of this database that was later lost.
CREATE TABLE seq_gaps (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lo       INTEGER NOT NULL,
    hi       INTEGER NOT NULL,
    PRIMARY KEY (user_id, lo)
) STRICT;

-- Pulls now return a device's own versions too (a restored or copied device database
-- needs them back), so the origin is no longer kept.
ALTER TABLE rows DROP COLUMN origin;
