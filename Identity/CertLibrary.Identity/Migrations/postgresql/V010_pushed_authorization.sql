-- Pushed authorization requests (RFC 9126): a client registered with require_par sends its authorization requests to
-- /connect/par first; /connect/authorize then accepts only the request_uri it was given (OpenIddict requirement ft:par).
ALTER TABLE identity_clients ADD COLUMN IF NOT EXISTS require_par BOOLEAN NOT NULL DEFAULT FALSE;
