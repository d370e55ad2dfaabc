-- TOTP second factor (RFC 6238). The confirmed secret lives in sealed_totp_secret (V001); an enrolment keeps its
-- secret sealed in sealed_totp_pending until the citizen confirms it with a current code. totp_last_step is the
-- time step of the last accepted code: a code is accepted only for a later step, so no code is used twice.
ALTER TABLE identity_citizens ADD COLUMN sealed_totp_pending BLOB;
ALTER TABLE identity_citizens ADD COLUMN totp_pending_at TEXT;
ALTER TABLE identity_citizens ADD COLUMN totp_last_step INTEGER;

-- Portal clients: back-channel logout endpoint under the name the logout code reads; public clients (PKCE, no secret).
ALTER TABLE identity_clients RENAME COLUMN backchannel_logout_uri TO back_channel_logout_uri;
ALTER TABLE identity_clients ADD COLUMN public_client INTEGER NOT NULL DEFAULT 0;

-- ASP.NET Core Data Protection key ring shared by every node (cookies and antiforgery tokens written by one node are
-- read by any other). Each element is AES-GCM encrypted with a key derived from the master key before it is stored.
CREATE TABLE IF NOT EXISTS identity_dataprotection_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    friendly_name   TEXT NOT NULL,
    xml             TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
