-- Key-value facts about this database (e.g. that it is a throw-away demo database).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Agencies are the strata of the index; code is the public key (CONTRACT.md agencies.csv).
CREATE TABLE agencies (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune')),
    parent_code TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Machine clients (one-stop-shop software). Only the SHA-256 of a key is kept.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);

-- One row per receipt that carries a survey QR code. The token itself is never stored.
CREATE TABLE receipts (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    agency_id   INTEGER NOT NULL REFERENCES agencies (id),
    procedure   TEXT NOT NULL DEFAULT '',
    channel     TEXT NOT NULL CHECK (channel IN ('counter', 'online', 'postal')),
    source      TEXT NOT NULL CHECK (source IN ('api', 'sheet', 'minted', 'demo')),
    issued_at   TEXT NOT NULL,
    year        INTEGER NOT NULL, -- in Asia/Ho_Chi_Minh time: receipts per agency and year are N_h
    answered_at TEXT
);
CREATE INDEX receipts_agency_year ON receipts (agency_id, year);

-- Responses, from the web form, a kiosk or an import. UNIQUE(receipt_id) is the real
-- "one response per receipt" guarantee; the Go check only makes the error friendly.
CREATE TABLE responses (
    id             INTEGER PRIMARY KEY,
    response_id    TEXT NOT NULL UNIQUE,
    receipt_id     INTEGER UNIQUE REFERENCES receipts (id),
    agency_id      INTEGER NOT NULL REFERENCES agencies (id),
    survey_id      TEXT NOT NULL,
    survey_version TEXT NOT NULL,
    channel        TEXT NOT NULL CHECK (channel IN ('counter', 'online', 'postal')),
    source         TEXT NOT NULL CHECK (source IN ('web', 'kiosk', 'import', 'demo')),
    submitted_at   TEXT NOT NULL,
    year           INTEGER NOT NULL, -- Asia/Ho_Chi_Minh
    month          INTEGER NOT NULL, -- Asia/Ho_Chi_Minh
    answers        TEXT NOT NULL,    -- "A1:4 A2:5 …", answered questions only
    expectations   TEXT NOT NULL DEFAULT '',
    comment        TEXT NOT NULL DEFAULT '',
    comment_hidden INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX responses_survey_year ON responses (survey_id, year, agency_id);

-- Imported stratum sizes; they take precedence over the receipts sipas issued.
CREATE TABLE populations (
    year      INTEGER NOT NULL,
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    receipts  INTEGER NOT NULL CHECK (receipts > 0),
    PRIMARY KEY (year, agency_id)
);

-- Published indices of a baseline year when raw data are not available.
CREATE TABLE aggregates (
    survey_id TEXT NOT NULL,
    year      INTEGER NOT NULL,
    idx       TEXT NOT NULL,
    basis     TEXT NOT NULL CHECK (basis IN ('unweighted', 'stratified')),
    percent   REAL NOT NULL CHECK (percent >= 0 AND percent <= 100),
    n         REAL NOT NULL CHECK (n > 0),
    PRIMARY KEY (survey_id, year, idx, basis)
);
