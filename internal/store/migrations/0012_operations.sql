-- Every start of `sipas serve` on this database, and whether it stopped cleanly. The file
-- <database>-state beside the database holds the last run as well, so that at the next start
-- a database that lost its WAL, or went back to an older copy, is noticed (startup.go).
CREATE TABLE runs (
    id         INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    stopped_at TEXT,          -- NULL while running, or when it did not stop cleanly
    version    TEXT NOT NULL  -- of the sipas binary
);
