-- Representatives of organisations (issue 20, SPEC §3): a citizen registered as an organisation's legal representative
-- (法定代表人) or authorised agent acts for it in the portal. Keyed by the citizen's holder key (keyed hash; the number
-- itself is sealed); credit codes are public registrations and stay in clear.
CREATE TABLE IF NOT EXISTS representatives (
    citizen_key        TEXT NOT NULL,
    credit_code        TEXT NOT NULL,
    role               TEXT NOT NULL,
    organization_name  TEXT NOT NULL,
    sealed_citizen     BYTEA NOT NULL,
    linked_at          TIMESTAMPTZ NOT NULL,
    linked_by          TEXT NOT NULL,
    linked_by_department TEXT,
    PRIMARY KEY (citizen_key, credit_code)
);
CREATE INDEX IF NOT EXISTS representatives_organization ON representatives (credit_code);

-- Every link, unlink and switch, append-only (the trigger refuses UPDATE, DELETE and TRUNCATE).
CREATE TABLE IF NOT EXISTS representative_audit (
    credit_code      TEXT NOT NULL,
    id               TEXT NOT NULL,
    at               TIMESTAMPTZ NOT NULL,
    action           TEXT NOT NULL,
    citizen_key      TEXT NOT NULL,
    role             TEXT,
    client_id        TEXT NOT NULL,
    department_code  TEXT,
    PRIMARY KEY (credit_code, id)
);

CREATE OR REPLACE FUNCTION representative_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'representative_audit is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE TRIGGER representative_audit_append_only BEFORE UPDATE OR DELETE ON representative_audit
    FOR EACH ROW EXECUTE FUNCTION representative_audit_refuse_change();

CREATE OR REPLACE TRIGGER representative_audit_no_truncate BEFORE TRUNCATE ON representative_audit
    FOR EACH STATEMENT EXECUTE FUNCTION representative_audit_refuse_change();
