-- Organisations as holders (issue 20, SPEC §3): each certificate row says which kind of holder its holder_key names.
-- Rows written before are citizens' and keep their key (HMAC of the bare identity number); organisations' keys are the
-- HMAC of "001:" + credit code, so the index is keyed by kind + code. Adding a column with a constant default rewrites
-- no row: every certificate, its sealed document and its signatures stay byte for byte as they were.
ALTER TABLE certificates ADD COLUMN holder_kind TEXT NOT NULL DEFAULT 'citizen';
