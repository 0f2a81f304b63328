-- Per-agency secrets with which one-stop-shop software mints signed receipt tokens offline
-- (docs/tokens.md §5). id is the 24-bit secret ID carried in every token: AUTOINCREMENT, so an
-- ID is never given twice, even after a row were deleted (rows are revoked, never deleted).
-- The key must be stored to verify MACs; it is shown once at creation and never again.
CREATE TABLE token_secrets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id BETWEEN 1 AND 16777215),
    agency_id  INTEGER NOT NULL REFERENCES agencies (id),
    key        BLOB NOT NULL CHECK (length(key) >= 16),
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX token_secrets_agency ON token_secrets (agency_id);

-- How many tokens an issuer reports it minted per agency and day (POST /api/v1/minted): the
-- last report for a day wins. Populations count these instead of the minted receipts seen.
CREATE TABLE minted_counts (
    agency_id   INTEGER NOT NULL REFERENCES agencies (id),
    day         TEXT NOT NULL,    -- YYYY-MM-DD, Asia/Ho_Chi_Minh
    count       INTEGER NOT NULL CHECK (count >= 0),
    reported_at TEXT NOT NULL,
    PRIMARY KEY (agency_id, day)
) WITHOUT ROWID;

-- A minted receipt is created on its token's first scan. minted_day is the minting date
-- carried in the token (its year is the receipt's year); secret_id the secret that signed it.
ALTER TABLE receipts ADD COLUMN minted_day TEXT;
ALTER TABLE receipts ADD COLUMN secret_id INTEGER REFERENCES token_secrets (id);
CREATE INDEX receipts_minted ON receipts (agency_id, minted_day) WHERE minted_day IS NOT NULL;
