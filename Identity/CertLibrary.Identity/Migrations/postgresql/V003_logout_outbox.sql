-- Back-channel logout outbox: one row per (ended session, portal with a back-channel logout URI), written in the
-- transaction that ends the session, so a node that stops loses no notice. A worker on any node claims due rows by
-- moving next_attempt_ms forward (a lease), posts the logout token and deletes the row once delivered, refused or
-- given up. logout_token is the token last sent (retries resend it while it is valid; a fresh one is minted after).
CREATE TABLE IF NOT EXISTS identity_logout_outbox (
    id                  TEXT PRIMARY KEY,
    issuer              TEXT NOT NULL,
    client_id           TEXT NOT NULL,
    subject             TEXT NOT NULL,
    session_id          TEXT NOT NULL,
    logout_token        TEXT,
    token_expires_ms    BIGINT,
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms     BIGINT NOT NULL,
    last_error          TEXT,
    created_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS identity_logout_outbox_due ON identity_logout_outbox (next_attempt_ms);
