-- Citizen API scopes (certlib.me.read, certlib.me.manage): a client that is not first-party receives them only after
-- the citizen approved them on the consent screen. first_party marks the platform's own portals (registered at start-up),
-- which need no approval. Each approval is remembered per citizen (opaque subject) and client, with the scopes approved,
-- until the citizen revokes it in the portal (which also revokes the client's grants of that citizen).
ALTER TABLE identity_clients ADD COLUMN IF NOT EXISTS first_party BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE IF NOT EXISTS identity_client_consents (
    subject     TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    granted_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subject, client_id)
);
CREATE INDEX IF NOT EXISTS identity_client_consents_client ON identity_client_consents (client_id);
CREATE INDEX IF NOT EXISTS identity_grants_subject_client ON identity_grants (subject, client_id);
