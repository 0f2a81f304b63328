package dataset

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{"r.csv", 12, 5, `A1: value 7 is outside 1–5`}, `r.csv:12:5: A1: value 7 is outside 1–5`},
		{Error{"r.csv", 3, 0, "row has 7 fields but the header has 8"}, "r.csv:3: row has 7 fields but the header has 8"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	es := Errors{tests[0].e, tests[1].e}
	if got, want := es.Error(), tests[0].want+"\n"+tests[1].want; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
	// Callers get at the list through errors.As, also when wrapped.
	var got Errors
	if !errors.As(fmt.Errorf("import: %w", error(es)), &got) || len(got) != 2 {
		t.Errorf("errors.As = %v, want the two errors", got)
	}
}

// TestErrorLimit checks that every problem is counted but only MaxErrors
// are listed, in file order, also those found only at the end (the first
// line of a duplicate, whose second line is the last row).
func TestErrorLimit(t *testing.T) {
	tests := []struct {
		name      string
		unknown   int // rows with an unknown agency, one problem each
		wantLen   int
		wantFirst string
		wantLast  string
	}{
		{"under the limit", 97, 99, `p.csv:2:2: year and agency_code 2023, "MG" appears again on line 100`, `p.csv:100:2: year and agency_code 2023, "MG" is duplicated: it is already on line 2`},
		{"at the limit", 98, 100, `p.csv:2:2: year and agency_code 2023, "MG" appears again on line 101`, `p.csv:101:2: year and agency_code 2023, "MG" is duplicated: it is already on line 2`},
		{"one over", 99, 101, `p.csv:2:2: year and agency_code 2023, "MG" appears again on line 102`, "p.csv:102: … and 1 more error"},
		{"far over", 250, 101, `p.csv:2:2: year and agency_code 2023, "MG" appears again on line 253`, "p.csv:102: … and 152 more errors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("year,agency_code,receipts\n2023,MG,5\n")
			for i := range tt.unknown {
				fmt.Fprintf(&b, "2023,X%d,5\n", i)
			}
			b.WriteString("2023,MG,5\n")
			_, err := ParsePopulations("p.csv", strings.NewReader(b.String()), knownSet("MG"))
			got := errStrings(t, err)
			if len(got) != tt.wantLen {
				t.Fatalf("errors = %d, want %d", len(got), tt.wantLen)
			}
			if got[0] != tt.wantFirst {
				t.Errorf("first = %q, want %q", got[0], tt.wantFirst)
			}
			if last := got[len(got)-1]; last != tt.wantLast {
				t.Errorf("last = %q, want %q", last, tt.wantLast)
			}
			if want := `p.csv:3:2: agency_code "X0" is not a known agency`; got[1] != want {
				t.Errorf("second = %q, want %q", got[1], want)
			}
		})
	}
}

// TestReadFailure checks that an I/O error is passed on, not dressed up as
// a problem in the file.
func TestReadFailure(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := ParseAgencies("a.csv", iotest.ErrReader(boom), nil)
	var es Errors
	if !errors.Is(err, boom) || errors.As(err, &es) {
		t.Errorf("error = %v, want the read error itself", err)
	}
}
