-- OAuth clients (reference table: small, replicated).
CREATE TABLE IF NOT EXISTS identity_clients (
    client_id                   TEXT PRIMARY KEY,
    secret_hash                 TEXT NOT NULL,
    name                        TEXT NOT NULL,
    department_code             TEXT,
    scopes                      TEXT NOT NULL,
    redirect_uris               TEXT NOT NULL,
    post_logout_redirect_uris   TEXT NOT NULL,
    backchannel_logout_uri      TEXT,
    created_at                  TIMESTAMPTZ NOT NULL,
    updated_at                  TIMESTAMPTZ NOT NULL
);

-- Token-signing keys shared by every node; the private key is sealed (AES-GCM) with the master key.
CREATE TABLE IF NOT EXISTS identity_signing_keys (
    kid                 TEXT PRIMARY KEY,
    algorithm           TEXT NOT NULL,
    public_jwk          TEXT NOT NULL,
    sealed_private_key  BYTEA NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    activates_at        TIMESTAMPTZ NOT NULL,
    unpublish_at        TIMESTAMPTZ NOT NULL
);

-- Citizens: holder-owned, keyed by the keyed hash of the identity number (never stored in clear).
CREATE TABLE IF NOT EXISTS identity_citizens (
    holder_key          TEXT PRIMARY KEY,
    subject             TEXT NOT NULL,
    sealed_citizen_id   BYTEA NOT NULL,
    name                TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    sealed_totp_secret  BYTEA,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    first_failure_at    TIMESTAMPTZ,
    locked_until        TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS identity_citizens_subject ON identity_citizens (subject);

-- SSO sessions (one per browser login); ending one signs the citizen out of every portal.
CREATE TABLE IF NOT EXISTS identity_sessions (
    session_id  TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    auth_time   TIMESTAMPTZ NOT NULL,
    acr         TEXT NOT NULL,
    amr         TEXT NOT NULL,
    clients     TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS identity_sessions_subject ON identity_sessions (subject);

-- Authorization codes and refresh tokens, stored by SHA-256 of the handle; grant_id ties a code to every
-- token it produced so that reuse revokes them all.
CREATE TABLE IF NOT EXISTS identity_grants (
    handle_hash TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    grant_id    TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    session_id  TEXT,
    data        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    consumed_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS identity_grants_grant ON identity_grants (grant_id);

-- Revoked grants (code reuse, refresh reuse, revocation, logout) and revoked access tokens (by jti).
CREATE TABLE IF NOT EXISTS identity_revocations (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    revoked_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
