-- Progress-notice outbox (one row per certificate log entry) and the position in the log already turned into notices.
CREATE TABLE IF NOT EXISTS notice_outbox (
    id               TEXT PRIMARY KEY,
    holder_key       TEXT NOT NULL,
    body             TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_ms  BIGINT NOT NULL,
    delivered_at     TIMESTAMPTZ,
    failed_at        TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS notice_outbox_due ON notice_outbox (next_attempt_ms) WHERE delivered_at IS NULL AND failed_at IS NULL;

CREATE TABLE IF NOT EXISTS notice_cursor (
    name      TEXT PRIMARY KEY,
    position  BIGINT NOT NULL
);
