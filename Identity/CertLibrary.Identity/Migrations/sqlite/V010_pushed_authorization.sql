-- Pushed authorization requests (RFC 9126): a client registered with require_par sends its authorization requests to
-- /connect/par first; /connect/authorize then accepts only the request_uri it was given (OpenIddict requirement ft:par).
ALTER TABLE identity_clients ADD COLUMN require_par INTEGER NOT NULL DEFAULT 0;
