-- Holder bindings of the format-2 offline QR (SPEC §5): scrypt is computed once per certificate, at its first
-- offline QR, and every later QR of that certificate carries the same salt and binding.
CREATE TABLE IF NOT EXISTS qr_holder_bindings (
    certificate_id  TEXT PRIMARY KEY,
    salt            BLOB NOT NULL,
    binding         BLOB NOT NULL,
    created_at      BIGINT NOT NULL
);
