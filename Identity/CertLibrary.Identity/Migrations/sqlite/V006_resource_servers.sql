-- Resource servers: only clients registered as one may introspect tokens (RFC 7662); before this any confidential client
-- could read the subject and scopes of any other client's tokens. Existing clients are not resource servers.
ALTER TABLE identity_clients ADD COLUMN resource_server INTEGER NOT NULL DEFAULT 0;
