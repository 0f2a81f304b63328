package dataset

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAgencies(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		known func(string) bool
		want  []Agency
	}{
		{
			name: "parent defined further down",
			in: "code,name,level,parent_code\n" +
				"P.1,UBND huyện A,district,P\n" +
				"P,Tỉnh P,province,\n",
			want: []Agency{
				{Code: "P.1", Name: "UBND huyện A", Level: "district", ParentCode: "P", Line: 2},
				{Code: "P", Name: "Tỉnh P", Level: "province", Line: 3},
			},
		},
		{
			name:  "parent known from the database",
			in:    "code,name,level,parent_code\nP.1.1,Xã B,commune,P.1\n",
			known: knownSet("P.1"),
			want:  []Agency{{Code: "P.1.1", Name: "Xã B", Level: "commune", ParentCode: "P.1", Line: 2}},
		},
		{
			name: "columns in any order, BOM, CRLF, blank and empty lines",
			in: "\uFEFFlevel,parent_code,name,code\r\n" +
				"\r\n" +
				"province,,\"Sở Tư pháp, tỉnh P\",P.STP\r\n" +
				",,,\r\n" +
				"commune,P.STP,\"Xã \"\"X\"\"\",P.X\r\n",
			want: []Agency{
				{Code: "P.STP", Name: "Sở Tư pháp, tỉnh P", Level: "province", Line: 3},
				{Code: "P.X", Name: `Xã "X"`, Level: "commune", ParentCode: "P.STP", Line: 5},
			},
		},
		{
			name: "names are normalised to NFC",
			in:   "code,name,level,parent_code\nX,Xa\u0303 Ho\u0300a,commune,\n",
			want: []Agency{{Code: "X", Name: "Xã Hòa", Level: "commune", Line: 2}},
		},
		{
			name: "header only",
			in:   "code,name,level,parent_code\n",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAgencies("a.csv", strings.NewReader(tt.in), tt.known)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseAgenciesErrors(t *testing.T) {
	const h = "code,name,level,parent_code\n"
	tests := []struct {
		name  string
		in    string
		known func(string) bool
		want  []string
	}{
		{
			name: "empty file",
			in:   "",
			want: []string{"a.csv:1: the file is empty; the first line must be the header: code, name, level, parent_code"},
		},
		{
			name: "only a BOM",
			in:   "\uFEFF",
			want: []string{"a.csv:1: the file is empty; the first line must be the header: code, name, level, parent_code"},
		},
		{
			name: "UTF-16",
			in:   "\xFF\xFEc\x00o\x00d\x00e\x00",
			want: []string{`a.csv:1: the file is UTF-16 encoded; save it as UTF-8 (in Excel: "CSV UTF-8")`},
		},
		{
			name: "semicolons",
			in:   "code;name;level;parent_code\nP;Tỉnh P;province;\n",
			want: []string{"a.csv:1: the header is separated by semicolons (;); sipas needs commas (,) between columns"},
		},
		{
			name: "old Mac line endings",
			in:   "code,name,level,parent_code\rP,Tỉnh P,province,\r",
			want: []string{"a.csv:1: lines end with a bare carriage return (old Mac style); save the file with LF or CRLF line endings"},
		},
		{
			name: "no header",
			in:   "P,Tỉnh P,province,\n",
			want: []string{"a.csv:1: the first line is not a header: expected the columns code, name, level, parent_code"},
		},
		{
			name: "header problems",
			in:   "code,Name, level,name,parent_code,,extra\nP,Tỉnh P,province,Tỉnh P,,,\n",
			want: []string{
				`a.csv:1: missing required column "level"`,
				`a.csv:1:2: unknown column "Name"; did you mean "name"? column names are case-sensitive`,
				`a.csv:1:3: unknown column " level"; remove the spaces around "level"`,
				"a.csv:1:6: column 6 has no name; remove the empty column or name it",
				`a.csv:1:7: unknown column "extra"; the columns are code, name, level, parent_code`,
			},
		},
		{
			name: "duplicate column",
			in:   "code,name,level,parent_code,name\nP,Tỉnh P,province,,Tỉnh P\n",
			want: []string{`a.csv:1:5: column "name" appears twice (also column 2)`},
		},
		{
			name: "empty required fields",
			in:   h + ",Tỉnh P,province,\nP, ,,\n",
			want: []string{
				"a.csv:2:1: code is empty",
				"a.csv:3:2: name is empty",
				"a.csv:3:3: level is empty",
			},
		},
		{
			name: "bad values",
			in:   h + "P 1,Tỉnh P,Province,\nP2,Tỉnh P,city,P\tX\nP3,\"Tỉnh\nP\",province,\n",
			want: []string{
				`a.csv:2:1: code "P 1" contains a space`,
				`a.csv:2:3: level "Province" is not one of province, district, commune (values are case-sensitive, without spaces: write "province")`,
				`a.csv:3:3: level "city" is not one of province, district, commune`,
				`a.csv:3:4: parent_code "P\tX" contains a space`,
				`a.csv:4:2: name "Tỉnh\nP" contains a line break or another control character`,
			},
		},
		{
			name: "duplicate code, reported on both lines",
			in:   h + "P,Tỉnh P,province,\nQ,Tỉnh Q,province,\nP,Tỉnh P bis,province,\nP,Tỉnh P ter,province,\n",
			want: []string{
				`a.csv:2:1: code "P" appears again on line 4 and on 1 more`,
				`a.csv:4:1: code "P" is duplicated: it is already on line 2`,
				`a.csv:5:1: code "P" is duplicated: it is already on line 2`,
			},
		},
		{
			name:  "parents",
			known: knownSet("DB"),
			in: h +
				"P,Tỉnh P,province,\n" +
				"C,Xã C,commune,P\n" +
				"D,Huyện D,district,C\n" +
				"S,Sở S,province,S\n" +
				"U,Xã U,commune,NOPE\n" +
				"K,Xã K,commune,DB\n" +
				"L,Xã L,commune,p\n",
			want: []string{
				`a.csv:4:4: parent_code "C" is a commune agency (line 3), below this district agency`,
				`a.csv:5:4: parent_code "S" is the agency itself`,
				`a.csv:6:4: parent_code "NOPE" is neither an agency in this file nor a known agency`,
				`a.csv:8:4: parent_code "p" is neither an agency in this file nor a known agency`,
			},
		},
		{
			name: "loop of parents",
			in:   h + "A,A,district,B\nB,B,district,C\nC,C,district,A\nD,D,commune,A\n",
			want: []string{
				`a.csv:2:4: parent_code "B" makes a loop: A → B → C → A`,
				`a.csv:3:4: parent_code "C" makes a loop: B → C → A → B`,
				`a.csv:4:4: parent_code "A" makes a loop: C → A → B → C`,
			},
		},
		{
			name: "nil known knows no agency",
			in:   h + "C,Xã C,commune,P\n",
			want: []string{`a.csv:2:4: parent_code "P" is neither an agency in this file nor a known agency`},
		},
		{
			name: "ragged rows",
			in:   h + "P,Tỉnh P,province\nQ,Sở Tư pháp, tỉnh Q,province,\nR,Tỉnh R,province,\n",
			want: []string{
				"a.csv:2: row has 3 fields but the header has 4",
				"a.csv:3: row has 5 fields but the header has 4; is a comma inside a text that is not quoted?",
			},
		},
		{
			name: "quotes",
			in: h +
				"P,Tỉnh \"P\",province,\n" +
				"Q,\"Tỉnh \"Q\"\",province,\n" +
				"R,Tỉnh R,province,\n" +
				"S,\"Tỉnh\nS,province,\n" +
				"T,Tỉnh T,province,\n",
			want: []string{
				`a.csv:2:2: name: a " inside a field that does not start with "; enclose the whole field in quotes and write each " inside it as ""`,
				`a.csv:3:2: name: text after the closing " of a quoted field; write each " inside a quoted field as ""`,
				`a.csv:5:2: name: a quoted field is never closed: the " here starts a text that runs to the end of the file`,
			},
		},
		{
			name: "invalid UTF-8",
			in:   h + "P,T\xE1nh P,province,\nQ,\"Dòng một\nd\xF2ng hai\",province,\nR,R,province,\n",
			want: []string{
				`a.csv:2:2: name: invalid UTF-8 (byte 0xE1); save the file as UTF-8 (in Excel: "CSV UTF-8")`,
				`a.csv:4:2: name: invalid UTF-8 (byte 0xF2); save the file as UTF-8 (in Excel: "CSV UTF-8")`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAgencies("a.csv", strings.NewReader(tt.in), tt.known)
			if got != nil {
				t.Errorf("rows = %+v, want none", got)
			}
			checkErrors(t, err, tt.want)
		})
	}
}

// TestCodesNFC: a code written in decomposed Unicode (NFD) is the same code.
func TestCodesNFC(t *testing.T) {
	nfd := "X\u00e3"  // "Xã" precomposed…
	dec := "Xa\u0303" // …and decomposed
	got, err := ParseAgencies("a.csv", strings.NewReader("code,name,level,parent_code\n"+dec+",UBND xã,commune,\n"), knownSet())
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Code != nfd {
		t.Errorf("code %q, want NFC %q", got[0].Code, nfd)
	}
	pops, err := ParsePopulations("p.csv", strings.NewReader("year,agency_code,receipts\n2025,"+dec+",10\n"), knownSet(nfd))
	if err != nil || pops[0].AgencyCode != nfd {
		t.Errorf("populations: %+v, %v", pops, err)
	}
}
