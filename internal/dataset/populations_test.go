package dataset

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePopulations(t *testing.T) {
	in := "\uFEFFagency_code,receipts,year\r\nMG,185000,2023\r\nMG,196400,2024\r\nMG.883,45,2024\r\n"
	got, err := ParsePopulations("p.csv", strings.NewReader(in), knownSet("MG", "MG.883"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Population{
		{Year: 2023, AgencyCode: "MG", Receipts: 185000, Line: 2},
		{Year: 2024, AgencyCode: "MG", Receipts: 196400, Line: 3},
		{Year: 2024, AgencyCode: "MG.883", Receipts: 45, Line: 4},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParsePopulationsErrors(t *testing.T) {
	const h = "year,agency_code,receipts\n"
	known := knownSet("MG", "MG.883")
	tests := []struct {
		name  string
		in    string
		known func(string) bool
		want  []string
	}{
		{
			name: "missing column",
			in:   "year,agency_code\n2023,MG\n",
			want: []string{`p.csv:1: missing required column "receipts"`},
		},
		{
			name: "years",
			in:   h + "23,MG,1\n2023.0,MG,1\n 2023,MG,1\n1999,MG,1\n2101,MG,1\nx,MG,1\n,MG,1\n",
			want: []string{
				"p.csv:2:1: year 23 is outside 2000–2100",
				`p.csv:3:1: year "2023.0" is not a whole number; write 2023`,
				`p.csv:4:1: year " 2023" is not a whole number; remove the spaces`,
				"p.csv:5:1: year 1999 is outside 2000–2100",
				"p.csv:6:1: year 2101 is outside 2000–2100",
				`p.csv:7:1: year "x" is not a whole number`,
				"p.csv:8:1: year is empty",
			},
		},
		{
			name: "receipts",
			in:   h + "2023,MG,0\n2023,MG.883,-5\n2024,MG,\"1,200\"\n2024,MG.883,1.200\n2025,MG,4.0\n2025,MG.883,many\n2026,MG,99999999999999999999\n2026,MG.883,\n",
			want: []string{
				"p.csv:2:3: receipts must be positive, not 0",
				"p.csv:3:3: receipts must be positive, not -5",
				`p.csv:4:3: receipts "1,200" is not a whole number; write digits only, without thousands separators or decimals`,
				`p.csv:5:3: receipts "1.200" is not a whole number; write digits only, without thousands separators or decimals`,
				`p.csv:6:3: receipts "4.0" is not a whole number; write 4`,
				`p.csv:7:3: receipts "many" is not a whole number`,
				"p.csv:8:3: receipts 99999999999999999999 is too large",
				"p.csv:9:3: receipts is empty",
			},
		},
		{
			name: "agencies",
			in:   h + "2023,XYZ,10\n2023,mg,10\n2023,MG ,10\n2023,,10\n",
			want: []string{
				`p.csv:2:2: agency_code "XYZ" is not a known agency`,
				`p.csv:3:2: agency_code "mg" is not a known agency (did you mean "MG"? codes are case-sensitive)`,
				`p.csv:4:2: agency_code "MG " contains a space`,
				"p.csv:5:2: agency_code is empty",
			},
		},
		{
			name:  "nil known knows no agency",
			in:    h + "2023,MG,10\n",
			known: nil,
			want:  []string{`p.csv:2:2: agency_code "MG" is not a known agency`},
		},
		{
			name: "duplicate year and agency",
			in:   h + "2023,MG,10\n2024,MG,10\n2023,MG,11\n",
			want: []string{
				`p.csv:2:2: year and agency_code 2023, "MG" appears again on line 4`,
				`p.csv:4:2: year and agency_code 2023, "MG" is duplicated: it is already on line 2`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := known
			if strings.HasPrefix(tt.name, "nil") {
				k = nil
			}
			got, err := ParsePopulations("p.csv", strings.NewReader(tt.in), k)
			if got != nil {
				t.Errorf("rows = %+v, want none", got)
			}
			checkErrors(t, err, tt.want)
		})
	}
}
