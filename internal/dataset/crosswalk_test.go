package dataset

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseCrosswalk(t *testing.T) {
	in := "\uFEFFfrom_code,to_code,share,since\r\nMG.888,MG.888.30520,0.55,2025-07-01\r\nMG.888,MG.884.30310,0.45,2025-07-01\r\nMG.888.30520,MG.30600,1,2025-07-01\r\n"
	got, err := ParseCrosswalk("x.csv", strings.NewReader(in), knownSet("MG.888", "MG.888.30520", "MG.884.30310", "MG.30600"))
	if err != nil {
		t.Fatal(err)
	}
	july := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	want := []Transfer{
		{From: "MG.888", To: "MG.888.30520", Share: 0.55, Since: july, Line: 2},
		{From: "MG.888", To: "MG.884.30310", Share: 0.45, Since: july, Line: 3},
		{From: "MG.888.30520", To: "MG.30600", Share: 1, Since: july, Line: 4},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestParseCrosswalkReference reads the reference crosswalk (refdata).
func TestParseCrosswalkReference(t *testing.T) {
	f, err := os.Open("../index/testdata/refdata/xw_crosswalk.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	codes := []string{"MG.STNMT", "MG.SNNMT", "MG.883", "MG.883.30280", "MG.884", "MG.884.30310", "MG.886",
		"MG.886.30400", "MG.888", "MG.888.30520", "MG.30600", "MG.888.30535"}
	got, err := ParseCrosswalk("xw_crosswalk.csv", f, knownSet(codes...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 8 {
		t.Errorf("%d transfers, want 8", len(got))
	}
}

func TestParseCrosswalkErrors(t *testing.T) {
	const h = "from_code,to_code,share,since\n"
	known := knownSet("A", "B", "C", "D", "E")
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "unknown column",
			in:   "from_code,to_code,share,since,note\nA,B,1,2025-07-01,x\n",
			want: []string{`x.csv:1:5: unknown column "note"; the columns are from_code, to_code, share, since`},
		},
		{
			name: "codes",
			in:   h + "Z,B,1,2025-07-01\nA,a,1,2025-07-01\nC,C,1,2025-07-01\n",
			want: []string{
				`x.csv:2:1: from_code "Z" is not a known agency`,
				`x.csv:3:2: to_code "a" is not a known agency (did you mean "A"? codes are case-sensitive)`,
				`x.csv:4:2: to_code "C" is the from_code itself; a unit that continues needs no row`,
			},
		},
		{
			name: "shares",
			in:   h + "A,B,0,2025-07-01\nC,B,1.5,2025-07-01\nD,B,45,2025-07-01\nE,B,x,2025-07-01\n",
			want: []string{
				"x.csv:2:3: share 0 is outside (0, 1]: write the part of the receipts as a fraction (0.45, not 45)",
				"x.csv:3:3: share 1.5 is outside (0, 1]: write the part of the receipts as a fraction (0.45, not 45)",
				"x.csv:4:3: share 45 is outside (0, 1]: write the part of the receipts as a fraction (0.45, not 45)",
				`x.csv:5:3: share "x" is not a number`,
			},
		},
		{
			name: "shares not summing to 1",
			in:   h + "A,B,0.5,2025-07-01\nA,C,0.4,2025-07-01\nD,E,0.55,2025-07-01\n",
			want: []string{
				`x.csv:2:3: the shares of from_code "A" sum to 0.9 (lines 2, 3); they must sum to 1`,
				`x.csv:3:3: the shares of from_code "A" sum to 0.9 (lines 2, 3); they must sum to 1`,
				`x.csv:4:3: the shares of from_code "D" sum to 0.55 (lines 4); they must sum to 1`,
			},
		},
		{
			name: "dates",
			in:   h + "A,B,1,2025-02-30\nC,B,1,1/7/2025\nD,B,0.5,2025-07-01\nD,E,0.5,2025-08-01\n",
			want: []string{
				`x.csv:2:4: since "2025-02-30" is not a real date`,
				`x.csv:3:4: since "1/7/2025" is not a date (YYYY-MM-DD, e.g. 2025-07-01)`,
				"x.csv:5:4: since 2025-08-01 differs from line 4 (2025-07-01): the rows of one from_code take effect on one date",
			},
		},
		{
			name: "duplicate pair",
			in:   h + "A,B,0.5,2025-07-01\nA,B,0.5,2025-07-01\n",
			want: []string{
				`x.csv:2:2: from_code and to_code "A" → "B" appears again on line 3`,
				`x.csv:3:2: from_code and to_code "A" → "B" is duplicated: it is already on line 2`,
			},
		},
		{
			name: "cycle",
			in:   h + "A,B,1,2025-07-01\nB,C,1,2025-07-01\nC,A,1,2025-07-01\nD,E,1,2025-07-01\n",
			want: []string{
				`x.csv:2:2: to_code "B" makes a loop: A → B → C → A`,
				`x.csv:3:2: to_code "C" makes a loop: A → B → C → A`,
				`x.csv:4:2: to_code "A" makes a loop: A → B → C → A`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCrosswalk("x.csv", strings.NewReader(tt.in), known)
			if got != nil {
				t.Errorf("rows = %+v, want none", got)
			}
			checkErrors(t, err, tt.want)
		})
	}
}
