-- Issue 17 (ASVS level 2): sign-in attempts reserved before the password is checked, a second
-- factor for officials, scoped and expiring API keys, and kiosk backfills judged on the
-- server's clock. docs/security.md explains each column's control.

-- Sign-in attempts replace login_failures. A row is written (outcome 'pending') in the same
-- write transaction that counts the earlier ones, before the password is checked, so N
-- parallel guesses see each other: exactly the limit of them is ever checked. The outcome is
-- set after the check: 'failed', or 'ok' (kept 30 days: an address where the official signed
-- in is exempt from the global per-email limit).
DROP TABLE login_failures;
CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    email   TEXT NOT NULL COLLATE NOCASE,
    client  TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'failed', 'ok'))
);
CREATE INDEX login_attempts_email ON login_attempts (email, at);
CREATE INDEX login_attempts_client ON login_attempts (client, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- TOTP (RFC 6238) second factor: the base32 secret (NULL: none), when it was confirmed, and
-- the last time step accepted, so a code is never accepted twice.
ALTER TABLE officials ADD COLUMN totp_secret TEXT;
ALTER TABLE officials ADD COLUMN totp_enabled_at TEXT;
ALTER TABLE officials ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE officials ADD COLUMN password_changed_at TEXT;

-- A session whose official has a second factor starts with mfa_pending = 1: it signs in nobody
-- until the code is given (and it is then replaced by a new session id). mfa_failures counts
-- wrong codes: five end the pending session.
ALTER TABLE sessions ADD COLUMN mfa_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN mfa_failures INTEGER NOT NULL DEFAULT 0;

-- API keys: what they may do (space-separated scopes of auth.ParseScopes) and until when.
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;

-- Existing keys get the scopes they can prove they need (docs/security.md, "Key migration"):
-- what the audit log shows each key did, and the agencies it issued receipts for while it was
-- active. A key with no trace of any use keeps the one use that leaves none: metrics.
CREATE TEMP TABLE key_scope (key_id INTEGER, scope TEXT);
INSERT INTO key_scope
SELECT k.id, 'reports:' || CASE WHEN instr(l.detail, 'agency=') > 0
        THEN substr(l.detail, instr(l.detail, 'agency=') + 7) ELSE '*' END
FROM api_keys k JOIN audit_log l ON l.actor = 'api:' || k.name AND l.action = 'report.download'
WHERE k.revoked_at IS NULL;
INSERT INTO key_scope
SELECT k.id, 'answers:' || CASE WHEN substr(l.detail, instr(l.detail, 'agency=') + 7) = ''
        THEN '*' ELSE substr(l.detail, instr(l.detail, 'agency=') + 7) END
FROM api_keys k JOIN audit_log l ON l.actor = 'api:' || k.name AND l.action = 'responses.export'
WHERE k.revoked_at IS NULL AND instr(l.detail, 'agency=') > 0;
INSERT INTO key_scope
SELECT k.id, 'issue:' || substr(l.detail, instr(l.detail, ' receipts of ') + 13)
FROM api_keys k JOIN audit_log l ON l.actor = 'api:' || k.name AND l.action = 'sheets.create'
WHERE k.revoked_at IS NULL AND instr(l.detail, ' receipts of ') > 0;
INSERT INTO key_scope
SELECT k.id, 'issue:' || substr(l.detail, 1, instr(l.detail, ' ') - 1)
FROM api_keys k JOIN audit_log l ON l.actor = 'api:' || k.name AND l.action = 'minted.report'
WHERE k.revoked_at IS NULL AND instr(l.detail, ' ') > 1;
INSERT INTO key_scope
SELECT DISTINCT k.id, 'issue:' || a.code
FROM api_keys k JOIN receipts r ON r.source = 'api' AND r.issued_at >= k.created_at
JOIN agencies a ON a.id = r.agency_id
WHERE k.revoked_at IS NULL;
INSERT INTO key_scope
SELECT k.id, 'metrics' FROM api_keys k
WHERE k.revoked_at IS NULL AND k.id NOT IN (SELECT key_id FROM key_scope);
UPDATE api_keys SET scopes = coalesce((
    SELECT group_concat(scope, ' ') FROM (SELECT DISTINCT scope FROM key_scope
        WHERE key_id = api_keys.id AND scope NOT LIKE '%:' AND scope NOT LIKE '% %' ORDER BY scope)), '');
DROP TABLE key_scope;

-- Kiosk answers: when the server received them, and whether they were backfilled (given while
-- the tablet was offline, received later). Backfills are capped per real hour of received_at.
ALTER TABLE responses ADD COLUMN received_at TEXT;
ALTER TABLE responses ADD COLUMN backfilled INTEGER NOT NULL DEFAULT 0;
CREATE INDEX responses_kiosk_received ON responses (kiosk_id, received_at) WHERE kiosk_id IS NOT NULL;

-- The last time the kiosk was offline, as the server saw it: from offline_from (its last
-- contact before a silence) to online_since (its first contact after). A queued answer's time
-- must fall in that window, or be now.
ALTER TABLE kiosks ADD COLUMN offline_from TEXT;
ALTER TABLE kiosks ADD COLUMN online_since TEXT;
