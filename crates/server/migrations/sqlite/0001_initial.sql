-- The schema of protocol version 1 (before versioned migrations: such databases have
-- user_version 0 and already hold these tables, hence IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS users (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    seq            INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS devices_by_user ON devices (user_id);
-- The user is the first key column: a guessed row id alone addresses nothing.
CREATE TABLE IF NOT EXISTS rows (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tbl      TEXT NOT NULL,
    id       TEXT NOT NULL,
    hlc      TEXT NOT NULL,
    deleted  INTEGER NOT NULL,
    data     TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    origin   TEXT NOT NULL,
    PRIMARY KEY (user_id, tbl, id)
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS rows_by_seq ON rows (user_id, seq);
