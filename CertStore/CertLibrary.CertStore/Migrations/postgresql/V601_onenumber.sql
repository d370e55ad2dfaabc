-- One-number service (SPEC §6). Versioned 6xx inside the certstore module: a MigrationSource reads every script of
-- its assembly's Migrations/{dialect}/ folder, so a second module in this assembly would run these twice.

-- Service items (reference table: small, replicated).
CREATE TABLE IF NOT EXISTS service_items (
    code        TEXT PRIMARY KEY,
    document    JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Holder-owned tables: distributed on holder_key (keyed hash of the identity number).
CREATE TABLE IF NOT EXISTS holder_settings (
    holder_key        TEXT PRIMARY KEY,
    consent_required  BOOLEAN NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS consents (
    holder_key       TEXT NOT NULL,
    id               TEXT NOT NULL,
    department_code  TEXT NOT NULL,
    type_codes       TEXT NOT NULL,
    service_item     TEXT,
    expires_at       TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    withdrawn_at     TIMESTAMPTZ,
    PRIMARY KEY (holder_key, id)
);

-- Append-only: the trigger refuses every UPDATE, DELETE and TRUNCATE, whoever sends it.
-- (On Citus, distributed-table triggers need citus.enable_unsafe_triggers; REVOKE UPDATE, DELETE from the app role too.)
CREATE TABLE IF NOT EXISTS access_log (
    holder_key       TEXT NOT NULL,
    id               TEXT NOT NULL,
    accessed_at      TIMESTAMPTZ NOT NULL,
    action           TEXT NOT NULL,
    department_code  TEXT,
    client_id        TEXT NOT NULL,
    purpose          TEXT,
    service_item     TEXT,
    certificate_ids  TEXT NOT NULL,
    result           TEXT NOT NULL,
    PRIMARY KEY (holder_key, id)
);
CREATE INDEX IF NOT EXISTS access_log_time ON access_log (holder_key, accessed_at);

CREATE OR REPLACE FUNCTION access_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_refuse_change();

CREATE OR REPLACE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change();
