-- Webhooks (docs/api.md "Webhooks"). Endpoints an admin registered, with the events they
-- want (space-separated and padded with spaces, ' response.created report.published ', so
-- that instr finds a whole name) and their signing secrets sealed with AES-256-GCM under a
-- key kept outside the database (webhook.Sealer): the secret must be recoverable to sign, so
-- it cannot be a hash, and a copy of this file alone must not be able to sign.
CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    events          TEXT NOT NULL,
    with_comments   INTEGER NOT NULL DEFAULT 0,   -- response.created carries the comment text
    secret          BLOB NOT NULL,
    previous_secret BLOB,                          -- still signs until previous_until (rotation)
    previous_until  TEXT,
    failing_since   TEXT,                          -- first failure since the last success
    disabled_at     TEXT,
    disabled_reason TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- The outbox: one row per event and endpoint, written in the transaction of the event (the
-- response, the publication, the refusal counts), so a committed event is never lost and a
-- rolled-back one never sent. body is the exact JSON signed and sent on every attempt;
-- message_id the webhook-id, the same on every attempt and for every endpoint of the event.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    body            BLOB NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    retry_until     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    finished_at     TEXT,
    UNIQUE (endpoint_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- The delivery log an admin reads: every attempt, its answer and how long it took.
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    status      INTEGER,                 -- the HTTP status; NULL when there was no answer
    error       TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- report.published: the reports an admin published.
CREATE TABLE report_publications (
    id            INTEGER PRIMARY KEY,
    survey_id     TEXT NOT NULL,
    year          INTEGER NOT NULL,
    baseline_year INTEGER,
    published_at  TEXT NOT NULL,
    published_by  TEXT NOT NULL
);

-- refusals.spike: refused attempts per clock hour (Asia/Ho_Chi_Minh) and reason, kept two
-- days; written with the refusal counts (refusals.go), in the same transaction.
CREATE TABLE refusal_hours (
    hour   TEXT NOT NULL,    -- YYYY-MM-DDTHH
    reason TEXT NOT NULL,
    count  INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (hour, reason)
) WITHOUT ROWID;
