package dataset

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAggregates(t *testing.T) {
	in := "\uFEFFn,percent,basis,index,year\r\n1859,74.07,unweighted,A1,2023\r\n1859.5,0,stratified,A1,2023\r\n1927,100,unweighted,overall,2023\r\n12,0.5,unweighted,A,2023\r\n"
	got, err := ParseAggregates("g.csv", strings.NewReader(in), validSipasIndex, knownSet("P1", "P2"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Aggregate{
		{Year: 2023, Index: "A1", Basis: "unweighted", Percent: 74.07, N: 1859, Line: 2},
		{Year: 2023, Index: "A1", Basis: "stratified", Percent: 0, N: 1859.5, Line: 3},
		{Year: 2023, Index: "overall", Basis: "unweighted", Percent: 100, N: 1927, Line: 4},
		{Year: 2023, Index: "A", Basis: "unweighted", Percent: 0.5, N: 12, Line: 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseAggregatesErrors(t *testing.T) {
	const h = "year,index,basis,percent,n\n"
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "fractions instead of percent",
			in:   h + "2023,A1,unweighted,0.7407,1859\n2023,A1,stratified,0.7147,1859\n2023,A2,unweighted,0,1864\n2023,A2,stratified,1,1864\n",
			want: []string{"g.csv:1:4: percent looks like a fraction in every row (0.7407 on line 2); write percent in percent: 74.07, not 0.7407"},
		},
		{
			name: "one fraction-looking value with a CRLF file",
			in:   "year,index,basis,percent,n\r\n2023,A1,unweighted,0.5,10\r\n",
			want: []string{"g.csv:1:4: percent looks like a fraction in every row (0.5 on line 2); write percent in percent: 50, not 0.5"},
		},
		{
			name: "percent",
			in: h +
				"2023,A1,unweighted,100.01,1\n" +
				"2023,A1,stratified,-1,1\n" +
				"2023,A2,unweighted,\"83,02\",1\n" +
				"2023,A2,stratified,83.02%,1\n" +
				"2023,A3,unweighted,abc,1\n" +
				"2023,A3,stratified,1e2,1\n" +
				"2023,A0,unweighted,,1\n" +
				"2023,A0,stratified,NaN,1\n" +
				"2023,B1,unweighted,83.,1\n" +
				"2023,B1,stratified,50,1\n",
			want: []string{
				"g.csv:2:4: percent 100.01 is outside 0–100",
				"g.csv:3:4: percent -1 is outside 0–100",
				`g.csv:4:4: percent "83,02" is not a number; use a dot (.) as decimal point and no thousands separators`,
				`g.csv:5:4: percent "83.02%" is not a number; write the number without %`,
				`g.csv:6:4: percent "abc" is not a number`,
				`g.csv:7:4: percent "1e2" is not a number`,
				"g.csv:8:4: percent is empty",
				`g.csv:9:4: percent "NaN" is not a number`,
				`g.csv:10:4: percent "83." is not a number`,
			},
		},
		{
			name: "n",
			in:   h + "2023,A1,unweighted,50,0\n2023,A1,stratified,50,-3\n2023,A2,unweighted,50,x\n2023,A2,stratified,50,\n",
			want: []string{
				"g.csv:2:5: n must be positive, not 0",
				"g.csv:3:5: n must be positive, not -3",
				`g.csv:4:5: n "x" is not a number`,
				"g.csv:5:5: n is empty",
			},
		},
		{
			name: "index, basis and year",
			in:   h + "2023,Overall,unweighted,50,1\n2023,a1,unweighted,50,1\n2023,Z9,unweighted,50,1\n2023,A1,weighted,50,1\n1899,A1,unweighted,50,1\n2023,,Stratified,50,1\n",
			want: []string{
				`g.csv:2:2: index "Overall" is not known; did you mean "overall"? codes are case-sensitive`,
				`g.csv:3:2: index "a1" is not known; did you mean "A1"? codes are case-sensitive`,
				`g.csv:4:2: index "Z9" is not a question code, an aspect code or overall`,
				`g.csv:5:3: basis "weighted" is not one of unweighted, stratified`,
				"g.csv:6:1: year 1899 is outside 2000–2100",
				"g.csv:7:2: index is empty",
				`g.csv:7:3: basis "Stratified" is not one of unweighted, stratified (values are case-sensitive, without spaces: write "stratified")`,
			},
		},
		{
			name: "duplicate year, index and basis",
			in:   h + "2023,A1,unweighted,50,1\n2023,A1,stratified,50,1\n2024,A1,unweighted,50,1\n2023,A1,unweighted,51,1\n",
			want: []string{
				`g.csv:2:2: year, index and basis 2023, "A1", unweighted appears again on line 5`,
				`g.csv:5:2: year, index and basis 2023, "A1", unweighted is duplicated: it is already on line 2`,
			},
		},
		{
			name: "se and former units",
			in: "year,index,basis,percent,n,se,agency_code\n" +
				"2023,A1,unweighted,50,10,1.2,P1\n2023,A1,unweighted,60,10,,P2\n2023,A1,unweighted,55,20,,\n" +
				"2023,A2,unweighted,50,10,x,P3\n2023,A3,unweighted,50,10,-1,\n2023,A3,stratified,50,10,,P1\n2023,A3,stratified,50,10,,P1\n",
			want: []string{
				`g.csv:4:7: 2023, "A1", unweighted is given for former units (line 2) and for the whole scope here: give one or the other`,
				`g.csv:5:6: se "x" is not a number`,
				`g.csv:5:7: agency_code "P3" is not a known agency`,
				"g.csv:6:6: se -1 is outside 0–100 (a standard error in percent, like percent)",
				`g.csv:7:2: year, index and basis 2023, "A3", stratified for "P1" appears again on line 8`,
				`g.csv:8:2: year, index and basis 2023, "A3", stratified for "P1" is duplicated: it is already on line 7`,
			},
		},
		{
			name: "missing columns",
			in:   "year,index,percent\n2023,A1,50\n",
			want: []string{
				`g.csv:1: missing required column "basis"`,
				`g.csv:1: missing required column "n"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAggregates("g.csv", strings.NewReader(tt.in), validSipasIndex, knownSet("P1", "P2"))
			if got != nil {
				t.Errorf("rows = %+v, want none", got)
			}
			checkErrors(t, err, tt.want)
		})
	}
}

func TestParseAggregatesSE(t *testing.T) {
	in := "year,index,basis,percent,n,se,agency_code\n2023,overall,stratified,80.5,400,1.25,P1\n2023,overall,stratified,70,100,,P2\n"
	got, err := ParseAggregates("g.csv", strings.NewReader(in), validSipasIndex, knownSet("P1", "P2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].SE == nil || *got[0].SE != 1.25 || got[0].AgencyCode != "P1" || got[1].SE != nil || got[1].AgencyCode != "P2" {
		t.Errorf("got %+v", got)
	}
}

func TestParseAggregatesNilValidIndex(t *testing.T) {
	_, err := ParseAggregates("g.csv", strings.NewReader("year,index,basis,percent,n\n2023,A1,unweighted,50,1\n"), nil, nil)
	checkErrors(t, err, []string{`g.csv:2:2: index "A1" is not a question code, an aspect code or overall`})
}
