-- Failed sign-ins with identity numbers that have no account, counted and locked out exactly like an account's
-- (identity_citizens.failed_logins, first_failure_at, locked_until), so the lockout does not tell which numbers have
-- accounts: the same statements count and lock both tables. Keyed by the number's keyed hash (never the number); rows
-- past their window and lock are deleted.
CREATE TABLE IF NOT EXISTS identity_unknown_login_failures (
    holder_key        TEXT PRIMARY KEY,
    failed_logins     INTEGER NOT NULL,
    first_failure_at  TIMESTAMPTZ,
    locked_until      TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS identity_unknown_login_failures_first ON identity_unknown_login_failures (first_failure_at);
