-- Online QR tokens (SPEC §5): only the SHA-256 of the token is stored; expired rows are deleted lazily.
CREATE TABLE IF NOT EXISTS verification_tokens (
    token_hash      TEXT PRIMARY KEY,
    certificate_id  TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS verification_tokens_expires ON verification_tokens (expires_at);
