-- Status reasons (issue 21): a public reason code, and the free text sealed (AES-GCM) instead of in clear.
-- Rows changed before keep their clear text in status_reason until LegacyStatusReasonSealer seals it at start-up
-- (SQL has no key); their code is set here: superseded for a replaced version, other for any other reason.
-- Transparency log entries already written are never rewritten.
ALTER TABLE certificates ADD COLUMN status_reason_code TEXT;
ALTER TABLE certificates ADD COLUMN status_reason_sealed BLOB;
UPDATE certificates SET status_reason_code = CASE WHEN superseded_by IS NOT NULL THEN 'superseded' ELSE 'other' END
WHERE status_reason IS NOT NULL AND status_reason_code IS NULL;
