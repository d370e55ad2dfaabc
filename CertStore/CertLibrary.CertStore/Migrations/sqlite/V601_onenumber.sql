-- One-number service (SPEC §6). Versioned 6xx inside the certstore module: a MigrationSource reads every script of
-- its assembly's Migrations/{dialect}/ folder, so a second module in this assembly would run these twice.

-- Service items (reference table).
CREATE TABLE IF NOT EXISTS service_items (
    code        TEXT PRIMARY KEY,
    document    TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Holder-owned tables: holder_key (keyed hash of the identity number) first, for distribution.
CREATE TABLE IF NOT EXISTS holder_settings (
    holder_key        TEXT PRIMARY KEY,
    consent_required  INTEGER NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS consents (
    holder_key       TEXT NOT NULL,
    id               TEXT NOT NULL,
    department_code  TEXT NOT NULL,
    type_codes       TEXT NOT NULL,
    service_item     TEXT,
    expires_at       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    withdrawn_at     TEXT,
    PRIMARY KEY (holder_key, id)
);

-- Append-only: the triggers refuse every UPDATE and DELETE, whoever sends it.
CREATE TABLE IF NOT EXISTS access_log (
    holder_key       TEXT NOT NULL,
    id               TEXT NOT NULL,
    accessed_at      TEXT NOT NULL,
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

CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;

CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;
