package receipt

// Reasons a citizen's attempt with a receipt code is refused. The store counts them per day,
// /admin/integrity and /metrics show them; RefusalReasons is their one list, in the order
// those pages show them. A new reason is a constant here, a line in RefusalReasons and a
// "refusal.<reason>" key in each catalogue of assets/i18n.
const (
	RefusalUnknownToken   = "unknown_token"   // malformed, forged, revoked or unknown token
	RefusalReusedToken    = "reused_token"    // the receipt was already answered
	RefusalExpired        = "expired"         // the receipt is past its validity
	RefusalRateLimited    = "rate_limited"    // the address or kiosk was held back after too many refusals
	RefusalInvalidAnswers = "invalid_answers" // the form failed validation
	RefusalEmptyForm      = "empty_form"      // nothing was chosen or typed
	RefusalTooLarge       = "too_large"       // the body exceeded the limit
)

// RefusalCount is how many attempts were refused for one reason on one day.
type RefusalCount struct {
	Day    string // YYYY-MM-DD, Asia/Ho_Chi_Minh
	Reason string
	Count  int64
}

// RefusalReasons lists every refusal reason.
var RefusalReasons = []string{RefusalUnknownToken, RefusalReusedToken, RefusalExpired,
	RefusalRateLimited, RefusalInvalidAnswers, RefusalEmptyForm, RefusalTooLarge}
