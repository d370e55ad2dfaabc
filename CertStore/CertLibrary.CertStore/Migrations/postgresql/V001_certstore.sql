-- Reference tables (small, replicated as Citus reference tables).
CREATE TABLE IF NOT EXISTS departments (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS certificate_types (
    code        TEXT PRIMARY KEY,
    document    JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Holder-owned: distributed on holder_key (keyed hash of the identity number). No constraint spans holders.
CREATE TABLE IF NOT EXISTS certificates (
    holder_key      TEXT NOT NULL,
    id              TEXT NOT NULL,
    type_code       TEXT NOT NULL,
    issuer_code     TEXT NOT NULL,
    version         INTEGER NOT NULL,
    status          TEXT NOT NULL,
    status_reason   TEXT,
    issued_at       TIMESTAMPTZ NOT NULL,
    valid_from      TIMESTAMPTZ NOT NULL,
    valid_until     TIMESTAMPTZ,
    supersedes      TEXT,
    superseded_by   TEXT,
    status_list_id  TEXT NOT NULL,
    status_index    INTEGER NOT NULL,
    log_index       BIGINT NOT NULL,
    sealed_document BYTEA NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (holder_key, id)
);
CREATE INDEX IF NOT EXISTS certificates_id ON certificates (id);
CREATE INDEX IF NOT EXISTS certificates_status_list ON certificates (status_list_id) INCLUDE (status_index, status);

-- Status-list slots: distributed on list_id; the primary key keeps random indexes unique per list.
CREATE TABLE IF NOT EXISTS status_list_slots (
    list_id     TEXT NOT NULL,
    slot        INTEGER NOT NULL,
    PRIMARY KEY (list_id, slot)
);

CREATE TABLE IF NOT EXISTS status_lists (
    list_id     TEXT PRIMARY KEY,
    capacity    INTEGER NOT NULL,
    allocated   INTEGER NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- Idempotency records: distributed on scope (the calling client).
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope         TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   INTEGER NOT NULL,
    response      JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);

-- Transparency log (SPEC §7): entries, complete-subtree node hashes, and one state row that serialises appends.
CREATE TABLE IF NOT EXISTS log_entries (
    idx         BIGINT PRIMARY KEY,
    leaf_input  BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS log_nodes (
    level       INTEGER NOT NULL,
    idx         BIGINT NOT NULL,
    hash        BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE IF NOT EXISTS log_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    size        BIGINT NOT NULL
);
INSERT INTO log_state (id, size) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;

-- Signing keys (private keys sealed with the master key).
CREATE TABLE IF NOT EXISTS signing_keys (
    owner_code     TEXT NOT NULL,
    alg            TEXT NOT NULL,
    kid            TEXT NOT NULL,
    public_key     BYTEA NOT NULL,
    private_key    BYTEA NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    not_before     TIMESTAMPTZ NOT NULL,
    retired_at     TIMESTAMPTZ,
    revoked_at     TIMESTAMPTZ,
    PRIMARY KEY (owner_code, alg, kid)
);

-- The transparency log is append-only: refuse rewrites at the database too.
CREATE OR REPLACE FUNCTION certlib_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS log_entries_append_only ON log_entries;
CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION certlib_refuse_change();
