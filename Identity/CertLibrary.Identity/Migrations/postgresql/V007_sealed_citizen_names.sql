-- Citizen names are sealed (AES-256-GCM with the personal-data key, bound to the row's holder key) like identity numbers.
-- Rows written before this keep their clear name until the provider's start-up seals it and empties the name column
-- (CitizenManager.SealClearNamesAsync, batch by batch); the partial index finds the rows still to convert.
ALTER TABLE identity_citizens ADD COLUMN IF NOT EXISTS sealed_name BYTEA;
CREATE INDEX IF NOT EXISTS identity_citizens_clear_name ON identity_citizens (holder_key) WHERE sealed_name IS NULL;
