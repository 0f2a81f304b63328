-- Per-stratum sufficient statistics, kept exact as answers arrive (issue 13): one row per
-- survey, year, agency, channel and month (Asia/Ho_Chi_Minh), holding index.Stratum's counts
-- (Stratum.AppendBinary) and how many respondents chose each expectation option
-- ("code:count …", codes sorted). Reports read this table, never the response rows. Written
-- only in the transactions that write response rows (submissions, imports) and by
-- `sipas verify --repair` and `sipas summaries import`; docs/operations.md.
CREATE TABLE summaries (
    id           INTEGER PRIMARY KEY,
    survey_id    TEXT NOT NULL,
    year         INTEGER NOT NULL,
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    channel      TEXT NOT NULL,
    month        INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    counts       BLOB NOT NULL,
    expectations TEXT NOT NULL DEFAULT '',
    UNIQUE (survey_id, year, agency_id, channel, month)
);

-- The questionnaire design a survey's summaries were counted for (index.Design as JSON: the
-- question codes in order and the aspects). A survey without a row has no summaries yet. When
-- the questionnaire in use has another design, the survey's summaries are counted again from
-- the rows; layouts are never mixed.
CREATE TABLE summary_designs (
    survey_id  TEXT PRIMARY KEY,
    design     TEXT NOT NULL,
    counted_at TEXT NOT NULL
);

-- Agencies whose summaries came from another database (`sipas summaries import`, the
-- province-to-nation roll-up) rather than from rows stored here: verify leaves them alone and a
-- later file from the same source replaces them.
CREATE TABLE summary_imports (
    agency_id   INTEGER PRIMARY KEY REFERENCES agencies (id),
    source      TEXT NOT NULL, -- the exporting database's id (settings.database_id there)
    file        TEXT NOT NULL,
    exported_at TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

-- Response imports, which commit their rows in short transactions while the service runs. A
-- running import's rows are those after watermark with source 'import'; they count in the
-- summaries only once the import is done (one transaction). A run whose heartbeat stopped
-- (the process died) is undone by the next process that opens the database.
CREATE TABLE import_runs (
    id           INTEGER PRIMARY KEY,
    file         TEXT NOT NULL,
    survey_id    TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'abandoned')),
    watermark    INTEGER NOT NULL, -- max(responses.id) when it started
    created      INTEGER NOT NULL DEFAULT 0,
    unchanged    INTEGER NOT NULL DEFAULT 0,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    finished_at  TEXT
);
CREATE UNIQUE INDEX import_runs_one_running ON import_runs (state) WHERE state = 'running';

-- Receipts per agency and year (the stratum sizes sipas counts, METHODS §7, and the response
-- rates), kept in the transactions that issue, scan or answer receipts, so that reports do not
-- count the receipts table either. day is '' for the receipts sipas issued, and the minting
-- day of scanned offline-minted ones (populations take, per day, the larger of the scans and
-- the issuer's report).
CREATE TABLE receipt_counts (
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    year      INTEGER NOT NULL,
    day       TEXT NOT NULL,
    receipts  INTEGER NOT NULL,
    answered  INTEGER NOT NULL,
    PRIMARY KEY (agency_id, year, day)
) WITHOUT ROWID;
INSERT INTO receipt_counts (agency_id, year, day, receipts, answered)
    SELECT agency_id, year, CASE WHEN source = 'minted' THEN coalesce(minted_day, '') ELSE '' END, count(*), count(answered_at)
    FROM receipts GROUP BY 1, 2, 3;
