-- Kiosks: counter tablets on which citizens answer the survey (GET /kiosk). An admin registers
-- one and gets a one-time enrolment code (24 h, single use); the tablet trades it at
-- /kiosk/enrol for a long-lived device credential. Only SHA-256 hashes of the code and of the
-- credential are stored.
CREATE TABLE kiosks (
    id                    INTEGER PRIMARY KEY,
    agency_id             INTEGER NOT NULL REFERENCES agencies (id),
    counter               TEXT NOT NULL,                       -- e.g. "Quầy 3, Bộ phận Một cửa"
    survey_id             TEXT NOT NULL DEFAULT 'sipas-quick',
    idle_seconds          INTEGER NOT NULL DEFAULT 60 CHECK (idle_seconds >= 15),
    allow_without_receipt INTEGER NOT NULL DEFAULT 0 CHECK (allow_without_receipt IN (0, 1)),
    enrol_hash            TEXT UNIQUE,                          -- NULL once used
    enrol_expires_at      TEXT,
    device_hash           TEXT UNIQUE,                          -- NULL until enrolled
    enrolled_at           TEXT,
    last_seen_at          TEXT,
    created_at            TEXT NOT NULL,
    revoked_at            TEXT
);

-- A kiosk's queued answers carry a client-made idempotency key: a replay finds the row it
-- already stored instead of storing a second one. NULL for every other response (NULLs do
-- not collide in a UNIQUE index).
ALTER TABLE responses ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX responses_idempotency_key ON responses (idempotency_key);

-- Which kiosk took a response; answers without a receipt are rate-limited per kiosk.
ALTER TABLE responses ADD COLUMN kiosk_id INTEGER REFERENCES kiosks (id);
CREATE INDEX responses_kiosk ON responses (kiosk_id, submitted_at) WHERE kiosk_id IS NOT NULL;
