-- The PostgreSQL schema, protocol version 2: the same tables as SQLite's after its 0002.

-- The random id of this database (docs/SYNC.md, "Server epoch and restored servers").
CREATE TABLE server_state (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    epoch  TEXT NOT NULL
);
INSERT INTO server_state (id, epoch) VALUES (1, replace(gen_random_uuid()::text, '-', ''));

CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    -- The per-user sequence: pushes lock this row (SELECT … FOR UPDATE) for their whole
    -- transaction, so pushes of one user commit in sequence order.
    seq            BIGINT NOT NULL DEFAULT 0,
    epoch          TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX devices_by_user ON devices (user_id);

-- The user is the first key column: a guessed row id alone addresses nothing.
CREATE TABLE rows (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tbl      TEXT NOT NULL,
    id       TEXT NOT NULL,
    hlc      TEXT NOT NULL,
    deleted  BOOLEAN NOT NULL,
    data     TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    PRIMARY KEY (user_id, tbl, id)
);
CREATE UNIQUE INDEX rows_by_seq ON rows (user_id, seq);

CREATE TABLE seq_gaps (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lo       BIGINT NOT NULL,
    hi       BIGINT NOT NULL,
    PRIMARY KEY (user_id, lo)
);
