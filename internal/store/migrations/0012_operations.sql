-- The raw responses export (GET /api/v1/responses) reads a survey's year in submission order,
-- for the whole province or one agency. These two indexes give it that order, so a million
-- rows stream without a temporary B-tree (which needs temporary space as large as the
-- export, and fails half-way when that space runs out). The id that breaks ties is the rowid,
-- which every index carries last. The second replaces responses_survey_year, its prefix.
CREATE INDEX responses_export ON responses (survey_id, year, submitted_at);
CREATE INDEX responses_agency_export ON responses (survey_id, year, agency_id, submitted_at);
DROP INDEX responses_survey_year;

-- Every start of `sipas serve` on this database, and whether it stopped cleanly. The file
-- <database>-state beside the database holds the last run as well, so that at the next start
-- a database that lost its WAL, or went back to an older copy, is noticed (startup.go).
CREATE TABLE runs (
    id         INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    stopped_at TEXT,          -- NULL while running, or when it did not stop cleanly
    version    TEXT NOT NULL  -- of the sipas binary
);
