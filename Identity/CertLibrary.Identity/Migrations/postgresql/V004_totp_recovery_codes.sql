-- One-time recovery codes of the TOTP second factor (10 per enrolment or regeneration), stored only as a hash bound to
-- the account; using one deletes its row, so a code works once. Holder-owned, keyed by the holder's keyed hash.
CREATE TABLE IF NOT EXISTS identity_recovery_codes (
    holder_key  TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (holder_key, code_hash)
);
