package fault

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestFault(t *testing.T) {
	cause := errors.New("disk full")
	f := New(Invalid, "unknown_agency", "X").Because(cause)
	wrapped := fmt.Errorf("web: %w", f)
	if got, ok := As(wrapped); !ok || got != f {
		t.Fatalf("As(wrapped) = %v, %v", got, ok)
	}
	if KindOf(wrapped) != Invalid || KindOf(cause) != Internal {
		t.Errorf("KindOf: %v, %v", KindOf(wrapped), KindOf(cause))
	}
	if !errors.Is(wrapped, cause) {
		t.Error("the cause is not in the chain")
	}
	if f.Key != "fault.unknown_agency" {
		t.Errorf("Key = %q", f.Key)
	}
	msg := Text(wrapped, func(key string, args ...any) string { return key + fmt.Sprint(args...) })
	if msg != "fault.unknown_agencyX" {
		t.Errorf("Text = %q", msg)
	}
	if Text(cause, nil) != "" {
		t.Error("an error without a fault has a text")
	}
	if s := f.Error(); !strings.Contains(s, "unknown_agency") || !strings.Contains(s, "disk full") {
		t.Errorf("Error() = %q, want the code and the cause for the log", s)
	}
	if f.Say("fault.other", 1).Key != "fault.other" {
		t.Error("Say did not change the message")
	}
	for _, k := range Kinds() {
		if strings.HasPrefix(k.String(), "kind(") {
			t.Errorf("kind %d has no name", k)
		}
	}
}
