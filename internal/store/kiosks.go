package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/receipt"
)

// Kiosks are counter tablets (GET /kiosk). An admin registers one and receives a one-time
// enrolment code; the tablet trades the code for a device credential. Both are random and
// only their hashes (auth.HashSecret) reach this package.

// ErrEnrolCode is returned for an enrolment code that is unknown, already used or expired.
var ErrEnrolCode = errors.New("store: invalid, used or expired enrolment code")

// ErrRateLimited is returned when a kiosk submits answers without a receipt faster than
// AnonMinGap or AnonPerHour allow.
var ErrRateLimited = errors.New("store: too many answers without a receipt from this kiosk")

const (
	// EnrolValidity is how long an enrolment code may be used (once).
	EnrolValidity = 24 * time.Hour
	// MinIdleSeconds is the shortest idle reset a kiosk may have.
	MinIdleSeconds = 15
	// DefaultIdleSeconds is the idle reset of a kiosk registered without one.
	DefaultIdleSeconds = 60
	// DefaultKioskSurvey is the questionnaire of a kiosk registered without one.
	DefaultKioskSurvey = "sipas-quick"

	// AnonMinGap and AnonPerHour limit the answers without a receipt of one kiosk: at most
	// one within AnonMinGap of another and AnonPerHour in any hour, both by answer time and,
	// for answers given live, by the server's receive time.
	AnonMinGap  = 20 * time.Second
	AnonPerHour = 60 // see AnonMinGap
	// BackfillPerHour caps the backfilled answers without a receipt (given while the kiosk
	// was offline, sent when it came back) that one kiosk delivers in a real hour, by the
	// server's clock: a tablet that claims old answer times cannot deliver more.
	BackfillPerHour = 60

	// maxAnswerAge and maxAnswerSkew bound the answer time a kiosk reports for a queued
	// answer; outside them the server's clock is used.
	maxAnswerAge  = 30 * 24 * time.Hour
	maxAnswerSkew = 5 * time.Minute
	// liveWindow: an answer time at most this much before the server's clock is an answer
	// given live; an earlier one is a backfill, and must fall in the kiosk's last offline
	// window (from its last contact before a silence to its first contact after).
	liveWindow = 2 * time.Minute
	// offlineAfter is the silence after which a kiosk counts as having been offline. It is
	// longer than kioskSeenEvery, the granularity of last_seen_at.
	offlineAfter = 10 * time.Minute

	// kioskSeenEvery is how often last_seen_at is refreshed, so that an open kiosk does not
	// cost a write per page.
	kioskSeenEvery = 5 * time.Minute
)

// Kiosk is a registered counter tablet.
type Kiosk struct {
	ID                  int64
	AgencyID            int64
	AgencyCode          string
	AgencyName          string
	Counter             string
	SurveyID            string
	IdleSeconds         int
	AllowWithoutReceipt bool
	EnrolExpiresAt      time.Time // zero once the code is used (or none was issued)
	Enrolled            bool
	EnrolledAt          time.Time
	LastSeenAt          time.Time
	CreatedAt           time.Time
	Revoked             bool
}

// EnrolPending reports whether an unused enrolment code of k is still valid at now.
func (k Kiosk) EnrolPending(now time.Time) bool {
	return !k.Revoked && !k.EnrolExpiresAt.IsZero() && now.Before(k.EnrolExpiresAt)
}

// NewKiosk is what registering a kiosk needs.
type NewKiosk struct {
	AgencyCode          string
	Counter             string
	SurveyID            string // "" means DefaultKioskSurvey
	IdleSeconds         int    // 0 means DefaultIdleSeconds; else at least MinIdleSeconds
	AllowWithoutReceipt bool
	EnrolHash           string // hash of the one-time enrolment code
}

const kioskColumns = `k.id, k.agency_id, a.code, a.name, k.counter, k.survey_id, k.idle_seconds,
	k.allow_without_receipt, k.enrol_expires_at, k.device_hash IS NOT NULL, k.enrolled_at, k.last_seen_at,
	k.created_at, k.revoked_at IS NOT NULL`

func scanKiosk(row scanner) (Kiosk, error) {
	var k Kiosk
	var expires, enrolled, seen sql.NullString
	var created string
	if err := row.Scan(&k.ID, &k.AgencyID, &k.AgencyCode, &k.AgencyName, &k.Counter, &k.SurveyID, &k.IdleSeconds,
		&k.AllowWithoutReceipt, &expires, &k.Enrolled, &enrolled, &seen, &created, &k.Revoked); err != nil {
		return Kiosk{}, err
	}
	var err error
	if k.CreatedAt, err = parseTime(created); err != nil {
		return Kiosk{}, err
	}
	for _, f := range []struct {
		s   sql.NullString
		dst *time.Time
	}{{expires, &k.EnrolExpiresAt}, {enrolled, &k.EnrolledAt}, {seen, &k.LastSeenAt}} {
		if f.s.Valid {
			if *f.dst, err = parseTime(f.s.String); err != nil {
				return Kiosk{}, err
			}
		}
	}
	return k, nil
}

// CreateKiosk registers a kiosk with a fresh enrolment code valid for EnrolValidity. An
// unknown agency gives ErrNotFound.
func (s *Store) CreateKiosk(ctx context.Context, nk NewKiosk) (Kiosk, error) {
	if nk.SurveyID == "" {
		nk.SurveyID = DefaultKioskSurvey
	}
	if nk.IdleSeconds == 0 {
		nk.IdleSeconds = DefaultIdleSeconds
	}
	if nk.IdleSeconds < MinIdleSeconds {
		return Kiosk{}, fmt.Errorf("store: create kiosk: idle timeout of %d s is under %d s", nk.IdleSeconds, MinIdleSeconds)
	}
	if nk.EnrolHash == "" {
		return Kiosk{}, fmt.Errorf("store: create kiosk: no enrolment code")
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var agencyID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM agencies WHERE code = ?`, nk.AgencyCode).Scan(&agencyID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: agency %q: %w", nk.AgencyCode, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: create kiosk: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO kiosks (agency_id, counter, survey_id, idle_seconds, allow_without_receipt,
			enrol_hash, enrol_expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			agencyID, nk.Counter, nk.SurveyID, nk.IdleSeconds, nk.AllowWithoutReceipt, nk.EnrolHash,
			formatTime(now.Add(EnrolValidity)), formatTime(now))
		if err != nil {
			return fmt.Errorf("store: create kiosk: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return Kiosk{}, err
	}
	return s.FindKiosk(ctx, id)
}

// FindKiosk returns ErrNotFound for an unknown id.
func (s *Store) FindKiosk(ctx context.Context, id int64) (Kiosk, error) {
	return s.findKiosk(ctx, `k.id = ?`, id)
}

// FindKioskByDevice returns the kiosk whose device credential hashes to deviceHash, revoked
// or not (the caller refuses a revoked one), or ErrNotFound.
func (s *Store) FindKioskByDevice(ctx context.Context, deviceHash string) (Kiosk, error) {
	if deviceHash == "" {
		return Kiosk{}, ErrNotFound
	}
	return s.findKiosk(ctx, `k.device_hash = ?`, deviceHash)
}

func (s *Store) findKiosk(ctx context.Context, where string, arg any) (Kiosk, error) {
	k, err := scanKiosk(s.r.QueryRowContext(ctx, `SELECT `+kioskColumns+`
		FROM kiosks k JOIN agencies a ON a.id = k.agency_id WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Kiosk{}, ErrNotFound
	}
	if err != nil {
		return Kiosk{}, fmt.Errorf("store: find kiosk: %w", err)
	}
	return k, nil
}

// ListKiosks returns every kiosk, newest first.
func (s *Store) ListKiosks(ctx context.Context) ([]Kiosk, error) {
	return queryAll(ctx, s.r, "list kiosks", `SELECT `+kioskColumns+`
		FROM kiosks k JOIN agencies a ON a.id = k.agency_id ORDER BY k.id DESC`, nil, scanKiosk)
}

// RenewKioskEnrolment gives a kiosk a new enrolment code, valid for EnrolValidity, to enrol
// a replacement tablet or after the first code lapsed. Enrolling with it replaces the current
// device credential. A revoked or unknown kiosk gives ErrNotFound.
func (s *Store) RenewKioskEnrolment(ctx context.Context, id int64, enrolHash string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, `UPDATE kiosks SET enrol_hash = ?, enrol_expires_at = ?
			WHERE id = ? AND revoked_at IS NULL`, enrolHash, formatTime(now.Add(EnrolValidity)), id)
		if err != nil {
			return fmt.Errorf("store: renew kiosk enrolment: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// EnrolKiosk trades a valid enrolment code for the device credential whose hash is
// deviceHash: the code is used up (single use) and any earlier credential of that kiosk stops
// working. An unknown, used or expired code, or a revoked kiosk, gives ErrEnrolCode.
func (s *Store) EnrolKiosk(ctx context.Context, enrolHash, deviceHash string) (Kiosk, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var expires string
		var revoked bool
		err := tx.QueryRowContext(ctx, `SELECT id, enrol_expires_at, revoked_at IS NOT NULL FROM kiosks WHERE enrol_hash = ?`, enrolHash).
			Scan(&id, &expires, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrEnrolCode
		}
		if err != nil {
			return fmt.Errorf("store: enrol kiosk: %w", err)
		}
		if revoked || formatTime(now) >= expires {
			return ErrEnrolCode
		}
		if _, err := tx.ExecContext(ctx, `UPDATE kiosks SET enrol_hash = NULL, enrol_expires_at = NULL, device_hash = ?,
			enrolled_at = ?, last_seen_at = ? WHERE id = ?`, deviceHash, formatTime(now), formatTime(now), id); err != nil {
			return fmt.Errorf("store: enrol kiosk: %w", err)
		}
		return audit(ctx, tx, now, "kiosk:"+strconv.FormatInt(id, 10), "kiosk.enrol", fmt.Sprintf("kiosk %d enrolled a device", id))
	})
	if err != nil {
		return Kiosk{}, err
	}
	return s.FindKiosk(ctx, id)
}

// RevokeKiosk stops a kiosk's device credential and enrolment code for good.
func (s *Store) RevokeKiosk(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, `UPDATE kiosks SET revoked_at = ?, enrol_hash = NULL, enrol_expires_at = NULL
			WHERE id = ? AND revoked_at IS NULL`, formatTime(now), id)
		if err != nil {
			return fmt.Errorf("store: revoke kiosk: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// qNoteContact records a contact of kiosk ?1 at ?2: after a silence longer than offlineAfter
// (?3 is ?2 less it) the kiosk was offline from its last contact until now. SQLite evaluates
// every SET expression on the row as it was.
const qNoteContact = `UPDATE kiosks SET
	offline_from = CASE WHEN last_seen_at < ?3 THEN last_seen_at ELSE offline_from END,
	online_since = CASE WHEN last_seen_at IS NULL OR last_seen_at < ?3 THEN ?2 ELSE online_since END,
	last_seen_at = ?2
	WHERE id = ?1`

// TouchKiosk records that a kiosk was seen, at most once every few minutes.
func (s *Store) TouchKiosk(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, qNoteContact+` AND (last_seen_at IS NULL OR last_seen_at < ?4)`,
			id, formatTime(now), formatTime(now.Add(-offlineAfter)), formatTime(now.Add(-kioskSeenEvery))); err != nil {
			return fmt.Errorf("store: touch kiosk: %w", err)
		}
		return nil
	})
}

// KioskSubmission is one answer given at a kiosk, already validated by package survey.
type KioskSubmission struct {
	KioskID int64
	// Key is the client's idempotency key; it is stored once per kiosk.
	Key string
	// Token is the receipt answered, or "" for an answer without a receipt. A signed token
	// is accepted (and its receipt created) as by AcceptSignedToken, under Policy.
	Token receipt.Token
	// Number, instead of Token, is the receipt number typed at the kiosk
	// (FindReceiptByNumber).
	Number receipt.Number
	Policy TokenPolicy
	// AnsweredAt is when the citizen submitted, by the kiosk's clock (answers may wait in
	// its queue). It is believed only within the bounds of kioskWindow.answerTime; zero or
	// outside them means now.
	AnsweredAt time.Time
	Submission
}

// KioskResult is what storing a kiosk answer did.
type KioskResult struct {
	ResponseID string
	// Replay is true when the key had been stored before: nothing new was stored.
	Replay bool
}

// SubmitKioskResponse stores one kiosk answer in one transaction, once per idempotency key:
// a key already stored returns its first outcome with Replay set, whatever the request
// carries now. Otherwise, with a token, it is SubmitResponse for that receipt (ErrNotFound,
// receipt.ErrAlreadyUsed, and for signed tokens the errors of AcceptSignedToken); without
// one, the kiosk must allow it (else auth.ErrForbidden) and the rate limit must hold
// (ErrRateLimited). A revoked
// kiosk gives ErrNotFound.
func (s *Store) SubmitKioskResponse(ctx context.Context, ks KioskSubmission) (KioskResult, error) {
	if ks.Key == "" {
		return KioskResult{}, fmt.Errorf("store: submit kiosk response: no idempotency key")
	}
	key := "kiosk-" + strconv.FormatInt(ks.KioskID, 10) + ":" + ks.Key
	var res KioskResult
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res = KioskResult{}
		err := tx.QueryRowContext(ctx, `SELECT response_id FROM responses WHERE idempotency_key = ?`, key).Scan(&res.ResponseID)
		if err == nil {
			res.Replay = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: submit kiosk response: %w", err)
		}
		rec, err := kioskRecordFor(ctx, tx, ks, key, now)
		if err != nil {
			return err
		}
		res.ResponseID = newResponseID()
		rec.ResponseID = res.ResponseID
		if err := insertKioskResponse(ctx, tx, rec); err != nil {
			return err
		}
		sub := rec.Submission
		sub.Source = "kiosk"
		if err := s.queueResponseCreated(ctx, txStmts{tx: tx}, responseRecord{ResponseID: rec.ResponseID, AgencyID: rec.AgencyID,
			Channel: rec.Channel, SubmittedAt: rec.SubmittedAt, Submission: sub}); err != nil {
			return err
		}
		t := newTally()
		if err := s.countRecord(ctx, tx, t, &responseRecord{AgencyID: rec.AgencyID, Channel: rec.Channel,
			SubmittedAt: rec.SubmittedAt, Submission: rec.Submission}); err != nil {
			return err
		}
		if err := t.flush(ctx, txStmts{tx: tx}); err != nil {
			return err
		}
		if rec.ReceiptID.Valid {
			if _, err := tx.ExecContext(ctx, `UPDATE receipts SET answered_at = ? WHERE id = ?`, formatTime(now), rec.ReceiptID.Int64); err != nil {
				return fmt.Errorf("store: submit kiosk response: %w", err)
			}
			if _, err := tx.ExecContext(ctx, qCountAnswered, rec.ReceiptID.Int64); err != nil {
				return fmt.Errorf("store: submit kiosk response: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return KioskResult{}, err
	}
	s.kickWebhooks()
	return res, nil
}

// kioskRecordFor checks a kiosk answer inside its transaction and returns what to store: the
// receipt's agency and channel for an answer with a receipt (which must be unanswered), the
// kiosk's for one without (which the kiosk must allow, within the rate limits). The answer
// time is judged against the kiosk's offline window (kioskAnswerTime).
func kioskRecordFor(ctx context.Context, tx *sql.Tx, ks KioskSubmission, key string, now time.Time) (kioskRecord, error) {
	w, err := noteKioskContact(ctx, tx, ks.KioskID, now)
	if err != nil {
		return kioskRecord{}, err
	}
	at, backfilled := w.answerTime(ks.AnsweredAt, now)
	rec := kioskRecord{Key: key, KioskID: ks.KioskID, AgencyID: w.agencyID, Channel: dataset.ChannelCounter,
		SubmittedAt: at, ReceivedAt: now, Backfilled: backfilled, Submission: ks.Submission}
	if ks.Token == "" && ks.Number == "" {
		if !w.allowAnon {
			return kioskRecord{}, fmt.Errorf("store: kiosk %d takes no answers without a receipt: %w", ks.KioskID, auth.ErrForbidden)
		}
		if err := checkAnonRate(ctx, tx, ks.KioskID, at); err != nil {
			return kioskRecord{}, err
		}
		return rec, checkAnonReceived(ctx, tx, ks.KioskID, now, backfilled)
	}
	var rc Receipt
	switch {
	case ks.Number != "":
		rc, err = findReceiptByNumberTx(ctx, tx, ks.Number.Hash(), now)
	case receipt.IsSigned(ks.Token):
		rc, err = acceptSigned(ctx, tx, ks.Token, ks.Policy, now)
	default:
		rc, err = findReceiptTx(ctx, tx, ks.Token.Hash())
	}
	if err != nil {
		return kioskRecord{}, err
	}
	if rc.Answered {
		return kioskRecord{}, receipt.ErrAlreadyUsed
	}
	rec.ReceiptID = sql.NullInt64{Int64: rc.ID, Valid: true}
	rec.AgencyID, rec.Channel = rc.AgencyID, rc.Channel
	return rec, nil
}

// kioskWindow is what a kiosk answer is judged against: the kiosk, and its last offline window
// as the server saw it, from its last contact before a silence to its first contact after
// (from its enrolment, if it was never offline since).
type kioskWindow struct {
	agencyID      int64
	allowAnon     bool
	offlineFrom   time.Time
	offlineUntil  time.Time
	hasOfflineWin bool
}

// noteKioskContact records the contact of a kiosk that sends an answer (qNoteContact) and
// returns its window. A revoked or unknown kiosk gives ErrNotFound.
func noteKioskContact(ctx context.Context, tx *sql.Tx, kioskID int64, now time.Time) (kioskWindow, error) {
	if _, err := tx.ExecContext(ctx, qNoteContact+` AND revoked_at IS NULL`, kioskID, formatTime(now), formatTime(now.Add(-offlineAfter))); err != nil {
		return kioskWindow{}, fmt.Errorf("store: kiosk contact: %w", err)
	}
	var w kioskWindow
	var revoked bool
	var from, until sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT agency_id, allow_without_receipt, revoked_at IS NOT NULL,
		coalesce(offline_from, enrolled_at, created_at), online_since FROM kiosks WHERE id = ?`, kioskID).
		Scan(&w.agencyID, &w.allowAnon, &revoked, &from, &until)
	if errors.Is(err, sql.ErrNoRows) || revoked {
		return kioskWindow{}, ErrNotFound
	}
	if err != nil {
		return kioskWindow{}, fmt.Errorf("store: submit kiosk response: %w", err)
	}
	if from.Valid && until.Valid {
		f, err1 := parseTime(from.String)
		u, err2 := parseTime(until.String)
		if err := errors.Join(err1, err2); err != nil {
			return kioskWindow{}, err
		}
		w.offlineFrom, w.offlineUntil, w.hasOfflineWin = f, u, true
	}
	return w, nil
}

// answerTime is the time an answer is stored with, and whether it is a backfill. A missing
// time, or one ahead of the server, is now. One within liveWindow of now is taken as given
// live. An earlier one is a backfill and is believed only inside the kiosk's offline window
// (and maxAnswerAge); outside it, the kiosk could not have been holding the answer, so the
// server's clock is used and the answer is judged as given now.
func (w kioskWindow) answerTime(claimed, now time.Time) (time.Time, bool) {
	switch {
	case claimed.IsZero() || claimed.After(now):
		return now, false
	case !claimed.Before(now.Add(-liveWindow)):
		return claimed, false
	case w.hasOfflineWin && !claimed.Before(w.offlineFrom.Add(-maxAnswerSkew)) &&
		!claimed.After(w.offlineUntil.Add(liveWindow)) && !claimed.Before(now.Add(-maxAnswerAge)):
		return claimed, true
	}
	return now, false
}

// checkAnonRate enforces the limits on answers without a receipt on the answer times: no two
// within AnonMinGap, at most AnonPerHour in the hour before.
func checkAnonRate(ctx context.Context, tx *sql.Tx, kioskID int64, at time.Time) error {
	var near, hour int
	err := tx.QueryRowContext(ctx, `SELECT
			coalesce(sum(submitted_at > ?2 AND submitted_at < ?3), 0),
			coalesce(sum(submitted_at > ?4 AND submitted_at <= ?5), 0)
		FROM responses WHERE kiosk_id = ?1 AND receipt_id IS NULL AND submitted_at > ?4`,
		kioskID, formatTime(at.Add(-AnonMinGap)), formatTime(at.Add(AnonMinGap)),
		formatTime(at.Add(-time.Hour)), formatTime(at)).Scan(&near, &hour)
	if err != nil {
		return fmt.Errorf("store: kiosk rate limit: %w", err)
	}
	if near > 0 || hour >= AnonPerHour {
		return ErrRateLimited
	}
	return nil
}

// checkAnonReceived enforces the same limits on the server's receive time, which a kiosk
// cannot choose: a live answer needs AnonMinGap since the last live one and fewer than
// AnonPerHour live ones in the past hour; a backfill fewer than BackfillPerHour backfills.
func checkAnonReceived(ctx context.Context, tx *sql.Tx, kioskID int64, now time.Time, backfilled bool) error {
	var near, hour int
	err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(received_at > ?3), 0), count(*)
		FROM responses WHERE kiosk_id = ?1 AND receipt_id IS NULL AND received_at > ?2 AND backfilled = ?4`,
		kioskID, formatTime(now.Add(-time.Hour)), formatTime(now.Add(-AnonMinGap)), backfilled).Scan(&near, &hour)
	if err != nil {
		return fmt.Errorf("store: kiosk rate limit: %w", err)
	}
	if backfilled && hour >= BackfillPerHour || !backfilled && (near > 0 || hour >= AnonPerHour) {
		return ErrRateLimited
	}
	return nil
}

// kioskRecord is one response row taken at a kiosk.
type kioskRecord struct {
	ResponseID  string
	Key         string
	KioskID     int64
	ReceiptID   sql.NullInt64
	AgencyID    int64
	Channel     string
	SubmittedAt time.Time // the answer time (kioskWindow.answerTime)
	ReceivedAt  time.Time // the server's clock
	Backfilled  bool
	Submission
}

func insertKioskResponse(ctx context.Context, tx *sql.Tx, r kioskRecord) error {
	year, month := calendar.YearMonth(r.SubmittedAt)
	_, err := tx.ExecContext(ctx, `INSERT INTO responses (response_id, receipt_id, agency_id, survey_id, survey_version,
		channel, source, submitted_at, year, month, answers, expectations, comment, idempotency_key, kiosk_id, received_at, backfilled)
		VALUES (?, ?, ?, ?, ?, ?, 'kiosk', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ResponseID, r.ReceiptID, r.AgencyID, r.SurveyID, r.SurveyVersion, r.Channel,
		formatTime(r.SubmittedAt), year, month, r.Answers, r.Expectations, r.Comment, r.Key, r.KioskID,
		formatTime(r.ReceivedAt), r.Backfilled)
	if isUniqueViolation(err) && r.ReceiptID.Valid {
		return receipt.ErrAlreadyUsed
	}
	if err != nil {
		return fmt.Errorf("store: insert kiosk response: %w", err)
	}
	return nil
}

// KioskCounts is how many answers a kiosk took, with and without a receipt, and how many of
// them were backfilled (given offline, received later).
type KioskCounts struct {
	WithReceipt, WithoutReceipt int64
	Backfilled                  int64
}

// CountKioskResponses returns, per kiosk id, the answers it took.
func (s *Store) CountKioskResponses(ctx context.Context) (map[int64]KioskCounts, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kiosk_id, count(receipt_id), count(*) - count(receipt_id), sum(backfilled)
		FROM responses WHERE kiosk_id IS NOT NULL GROUP BY kiosk_id`)
	if err != nil {
		return nil, fmt.Errorf("store: count kiosk responses: %w", err)
	}
	defer rows.Close()
	out := map[int64]KioskCounts{}
	for rows.Next() {
		var id int64
		var c KioskCounts
		if err := rows.Scan(&id, &c.WithReceipt, &c.WithoutReceipt, &c.Backfilled); err != nil {
			return nil, fmt.Errorf("store: count kiosk responses: %w", err)
		}
		out[id] = c
	}
	return out, rows.Err()
}
