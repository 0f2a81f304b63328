-- Questionnaire versions uploaded by admins. The newest upload of an id replaces the
-- embedded definition at start and at once; older versions stay for the record.
CREATE TABLE survey_definitions (
    id          INTEGER PRIMARY KEY,
    survey_id   TEXT NOT NULL,
    version     TEXT NOT NULL,
    definition  TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    UNIQUE (survey_id, version)
);
