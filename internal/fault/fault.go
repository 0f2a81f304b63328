// Package fault names the kinds of failure sipas tells its users about, as wtf's error.go
// does, so that one table at each edge answers every kind the same way: web/errors.go maps a
// kind to an HTTP status and a page, cmd/sipas prints the message and picks the exit status.
//
// A fault is the user's to act on: a stable Code for machines (the "code" of the API's JSON
// errors, docs/api.md) and a catalogue key for people (assets/i18n), filled with Args. Its
// cause, if any, is for the log only and is never shown. Anything that is neither a fault nor
// a sentinel error an edge knows is Internal: logged once with the request id and shown to
// nobody but as a generic message.
//
// Domain packages return faults where a caller's input is at fault (report.Query.Validate)
// and plain wrapped errors where sipas itself failed (store I/O). To add a kind: a constant
// here, its name in kindNames, and a row in web's answers table (a test checks every kind
// has one).
package fault

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is a class of failure; each edge answers all failures of a kind alike.
type Kind uint8

// The kinds of failure.
const (
	Internal     Kind = iota // sipas itself failed (store I/O, a bug): logged, shown as a generic message
	Malformed                // the request cannot be read: not JSON, not a number
	Invalid                  // readable but not acceptable: an unknown agency, a year out of range
	Unauthorized             // who is asking is not known
	Forbidden                // who is asking may not do this
	NotFound                 // there is no such thing
	NotAllowed               // the thing does not answer this method
	Conflict                 // it was done already: an answered receipt
	Gone                     // it was, and is no more: an expired receipt
	TooLarge                 // the request is too large
	Unsupported              // the request's media type is not one sipas reads
	RateLimited              // too many requests for now
	Unavailable              // sipas cannot answer now
)

var kindNames = [...]string{
	Internal: "internal", Malformed: "malformed", Invalid: "invalid", Unauthorized: "unauthorized",
	Forbidden: "forbidden", NotFound: "not_found", NotAllowed: "not_allowed", Conflict: "conflict",
	Gone: "gone", TooLarge: "too_large", Unsupported: "unsupported", RateLimited: "rate_limited",
	Unavailable: "unavailable",
}

// Kinds lists every kind, for the edges' tests.
func Kinds() []Kind {
	out := make([]Kind, len(kindNames))
	for i := range kindNames {
		out[i] = Kind(i)
	}
	return out
}

// String returns the kind's name, e.g. "not_found".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is a failure of a kind, with what the edge shows of it.
type Error struct {
	Kind Kind
	// Code is the stable machine code, e.g. "unknown_agency"; "" leaves it to the edge's
	// table for the kind.
	Code string
	// Key is the catalogue key of the message to people ("fault.unknown_agency"); "" leaves
	// it to the edge (a page then says what its kind says).
	Key string
	// Args fill the message's verbs. They are shown, so they must be the user's own input or
	// sipas's fixed values, never a Go error's text.
	Args []any
	// Err is the cause, matched by errors.Is and written to the log, never shown.
	Err error
}

// New returns a fault of kind k with machine code code, whose message is the catalogue text
// "fault.<code>" filled with args.
func New(k Kind, code string, args ...any) *Error {
	return &Error{Kind: k, Code: code, Key: "fault." + code, Args: args}
}

// Say makes the fault's message the catalogue text key filled with args, for a code whose
// usual message does not fit (one code, several messages).
func (e *Error) Say(key string, args ...any) *Error {
	e.Key, e.Args = key, args
	return e
}

// Because records the cause, for the log and errors.Is.
func (e *Error) Because(err error) *Error {
	e.Err = err
	return e
}

// Error is the fault for a log line: kind, code, message key and arguments, then the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.String())
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, " (%s", e.Key)
		for _, a := range e.Args {
			fmt.Fprintf(&b, " %v", a)
		}
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// As returns the fault in err's chain, if there is one.
func As(err error) (*Error, bool) {
	var f *Error
	ok := errors.As(err, &f)
	return f, ok
}

// KindOf returns the kind of the fault in err's chain, or Internal.
func KindOf(err error) Kind {
	if f, ok := As(err); ok {
		return f.Kind
	}
	return Internal
}

// Message is the text a catalogue gives a key, filled with arguments: what i18n's
// Locale.T is.
type Message func(key string, args ...any) string

// Text returns the message of the fault in err's chain in the language of t, or "" when err
// holds no fault with a message.
func Text(err error, t Message) string {
	f, ok := As(err)
	if !ok || f.Key == "" {
		return ""
	}
	return t(f.Key, f.Args...)
}
