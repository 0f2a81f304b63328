-- Refused citizen attempts, counted per day (Asia/Ho_Chi_Minh) and reason: forged or unknown
-- tokens, reused tokens, rate-limited clients, invalid answers, oversized bodies. Only counts:
-- nothing about the request (no token, no address) is kept.
CREATE TABLE refusals (
    day    TEXT NOT NULL,    -- YYYY-MM-DD in Asia/Ho_Chi_Minh
    reason TEXT NOT NULL,
    count  INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (day, reason)
) WITHOUT ROWID;
