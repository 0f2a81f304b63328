-- Officials who sign in to /admin/. role: admin | analyst | agency (agency users see only
-- their agency_id). Passwords are argon2id PHC strings.
CREATE TABLE officials (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'agency')),
    agency_id     INTEGER REFERENCES agencies (id),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK ((role = 'agency') = (agency_id IS NOT NULL))
);

-- Sessions: only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    official_id INTEGER NOT NULL REFERENCES officials (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    seen_at     TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_official ON sessions (official_id);

-- Failed sign-ins, for throttling by email and by client address (kept 1 day).
CREATE TABLE login_failures (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    email  TEXT NOT NULL COLLATE NOCASE,
    client TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_client ON login_failures (client, at);

-- What officials and operators did: sign-ins, imports, exports, user and key changes.
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
