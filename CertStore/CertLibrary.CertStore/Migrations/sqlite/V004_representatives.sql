-- Representatives of organisations (issue 20, SPEC §3): a citizen registered as an organisation's legal representative
-- (法定代表人) or authorised agent acts for it in the portal. Keyed by the citizen's holder key (keyed hash; the number
-- itself is sealed); credit codes are public registrations and stay in clear.
CREATE TABLE IF NOT EXISTS representatives (
    citizen_key        TEXT NOT NULL,
    credit_code        TEXT NOT NULL,
    role               TEXT NOT NULL,
    organization_name  TEXT NOT NULL,
    sealed_citizen     BLOB NOT NULL,
    linked_at          TEXT NOT NULL,
    linked_by          TEXT NOT NULL,
    linked_by_department TEXT,
    PRIMARY KEY (citizen_key, credit_code)
);
CREATE INDEX IF NOT EXISTS representatives_organization ON representatives (credit_code);

-- Every link, unlink and switch, append-only (the triggers refuse UPDATE and DELETE).
CREATE TABLE IF NOT EXISTS representative_audit (
    credit_code      TEXT NOT NULL,
    id               TEXT NOT NULL,
    at               TEXT NOT NULL,
    action           TEXT NOT NULL,
    citizen_key      TEXT NOT NULL,
    role             TEXT,
    client_id        TEXT NOT NULL,
    department_code  TEXT,
    PRIMARY KEY (credit_code, id)
);

CREATE TRIGGER IF NOT EXISTS representative_audit_no_update BEFORE UPDATE ON representative_audit
BEGIN SELECT RAISE(ABORT, 'representative_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS representative_audit_no_delete BEFORE DELETE ON representative_audit
BEGIN SELECT RAISE(ABORT, 'representative_audit is append-only'); END;
