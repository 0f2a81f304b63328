-- The crosswalk of reorganised units (METHODS §11, CONTRACT.md crosswalk.csv): from the date
-- since, the part share of the receipts of the former unit from_code is handled by to_code.
-- An import replaces the whole table. Codes, not ids: a former unit keeps its code.
CREATE TABLE crosswalk (
    from_code TEXT NOT NULL,
    to_code   TEXT NOT NULL,
    share     REAL NOT NULL CHECK (share > 0 AND share <= 1),
    since     TEXT NOT NULL, -- YYYY-MM-DD
    line      INTEGER NOT NULL DEFAULT 0, -- line in the imported file, for the data page
    PRIMARY KEY (from_code, to_code),
    CHECK (from_code <> to_code)
);

-- Published aggregates may carry their standard error (se, percent; METHODS §13) and the former
-- unit they were published for (agency_code, '' for the whole scope; METHODS §11). SQLite
-- cannot change a primary key in place, so the table is rebuilt.
CREATE TABLE aggregates_new (
    survey_id   TEXT NOT NULL,
    year        INTEGER NOT NULL,
    idx         TEXT NOT NULL,
    basis       TEXT NOT NULL CHECK (basis IN ('unweighted', 'stratified')),
    agency_code TEXT NOT NULL DEFAULT '',
    percent     REAL NOT NULL CHECK (percent >= 0 AND percent <= 100),
    n           REAL NOT NULL CHECK (n > 0),
    se          REAL CHECK (se IS NULL OR (se >= 0 AND se <= 100)),
    PRIMARY KEY (survey_id, year, idx, basis, agency_code)
);
INSERT INTO aggregates_new (survey_id, year, idx, basis, percent, n)
    SELECT survey_id, year, idx, basis, percent, n FROM aggregates;
DROP TABLE aggregates;
ALTER TABLE aggregates_new RENAME TO aggregates;
