package receipt

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"sipas/internal/calendar"
)

// docPath is the normative format description; the vectors and the Python
// reference implementation are read from it so that it cannot drift.
const docPath = "../../docs/tokens.md"

type vector struct {
	Key    []byte
	ID     uint32
	Date   string // YYYY-MM-DD
	Serial uint32
	Token  Token
}

// docSection returns the text of docPath between <!-- name:begin --> and
// <!-- name:end -->.
func docSection(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		tb.Fatal(err)
	}
	doc := string(b)
	_, rest, ok := strings.Cut(doc, "<!-- "+name+":begin -->")
	if !ok {
		tb.Fatalf("%s: no <!-- %s:begin --> marker", docPath, name)
	}
	sec, _, ok := strings.Cut(rest, "<!-- "+name+":end -->")
	if !ok {
		tb.Fatalf("%s: no <!-- %s:end --> marker", docPath, name)
	}
	return sec
}

// MustVectors returns the test vectors of docs/tokens.md.
func MustVectors(tb testing.TB) []vector {
	tb.Helper()
	var vs []vector
	for i, line := range strings.Split(docSection(tb, "vectors"), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") || strings.HasPrefix(line, "| #") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for j := range cells {
			cells[j] = strings.Trim(strings.TrimSpace(cells[j]), "`")
		}
		if len(cells) != 6 {
			tb.Fatalf("vectors line %d: %d cells, want 6: %q", i, len(cells), line)
		}
		key, err := hex.DecodeString(cells[1])
		if err != nil {
			tb.Fatalf("vectors line %d: key: %v", i, err)
		}
		id, err := strconv.ParseUint(cells[2], 10, 32)
		if err != nil {
			tb.Fatalf("vectors line %d: id: %v", i, err)
		}
		serial, err := strconv.ParseUint(cells[4], 10, 32)
		if err != nil {
			tb.Fatalf("vectors line %d: serial: %v", i, err)
		}
		vs = append(vs, vector{Key: key, ID: uint32(id), Date: cells[3], Serial: uint32(serial), Token: Token(cells[5])})
	}
	if len(vs) < 5 {
		tb.Fatalf("%s: %d test vectors, want at least 5", docPath, len(vs))
	}
	return vs
}

// vietnamDate parses YYYY-MM-DD as midnight in Asia/Ho_Chi_Minh.
func vietnamDate(tb testing.TB, s string) time.Time {
	tb.Helper()
	d, err := time.ParseInLocation(time.DateOnly, s, calendar.Zone)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestVectors(t *testing.T) {
	for _, v := range MustVectors(t) {
		t.Run(string(v.Token), func(t *testing.T) {
			date := vietnamDate(t, v.Date)
			got, err := Mint(Secret{ID: v.ID, Key: v.Key}, date, v.Serial)
			if err != nil {
				t.Fatal(err)
			}
			if got != v.Token {
				t.Fatalf("Mint = %q, want %q", got, v.Token)
			}
			for _, in := range []string{string(v.Token), strings.ToLower(v.Token.ShortCode())} {
				tok, err := ParseToken(in)
				if err != nil || tok != v.Token {
					t.Fatalf("ParseToken(%q) = %q, %v; want %q", in, tok, err, v.Token)
				}
				if !IsSigned(tok) {
					t.Errorf("IsSigned(%q) = false", tok)
				}
				sg, err := ParseSigned(tok)
				if err != nil {
					t.Fatal(err)
				}
				if sg.ID != v.ID || sg.Serial != v.Serial || !sg.Date().Equal(date) {
					t.Errorf("ParseSigned = {ID %d, Serial %d, Date %s}, want {%d, %d, %s}",
						sg.ID, sg.Serial, sg.Date(), v.ID, v.Serial, date)
				}
				if got := sg.Date().Format(time.DateOnly); got != v.Date {
					t.Errorf("Date() = %s, want %s", got, v.Date)
				}
				if err := sg.Verify(v.Key); err != nil {
					t.Errorf("Verify: %v", err)
				}
			}
		})
	}
}

// TestVectorsPython runs the reference implementation printed in the doc
// against the same vectors, so that what other systems copy is known to work.
func TestVectorsPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	code := docSection(t, "reference:python")
	code = strings.TrimSpace(code)
	code = strings.TrimPrefix(code, "```python")
	code = strings.TrimSuffix(code, "```")
	code += `
import json, sys
for v in json.load(sys.stdin):
    key, day = bytes.fromhex(v["key"]), datetime.date.fromisoformat(v["date"])
    tok = mint(key, v["id"], day, v["serial"])
    assert verify(short_code(tok).lower(), key), "verify"
    assert not verify(tok, bytes(b ^ 1 for b in key)), "wrong key verifies"
    assert parse(tok)[:3] == (v["id"], day, v["serial"]), "parse"
    print(tok, survey_url("https://sipas.angiang.gov.vn/", tok))
`
	type in struct {
		Key    string `json:"key"`
		ID     uint32 `json:"id"`
		Date   string `json:"date"`
		Serial uint32 `json:"serial"`
	}
	vs := MustVectors(t)
	var ins []in
	for _, v := range vs {
		ins = append(ins, in{hex.EncodeToString(v.Key), v.ID, v.Date, v.Serial})
	}
	stdin, err := json.Marshal(ins)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), py, "-c", code)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(vs) {
		t.Fatalf("python printed %d lines, want %d:\n%s", len(lines), len(vs), out)
	}
	for i, line := range lines {
		tok, url, _ := strings.Cut(line, " ")
		if Token(tok) != vs[i].Token {
			t.Errorf("python mint(vector %d) = %s, want %s", i+1, tok, vs[i].Token)
		}
		if want, _ := SurveyURL("https://sipas.angiang.gov.vn/", vs[i].Token); url != want {
			t.Errorf("python survey_url = %s, want %s", url, want)
		}
	}
}

// TestSignedTamper changes every single bit and every single character of
// each vector: each change must be refused, as ErrInvalidToken (padding bits)
// or as ErrForged.
func TestSignedTamper(t *testing.T) {
	for _, v := range MustVectors(t) {
		vals := make([]byte, SignedLen)
		for i := range vals {
			vals[i] = byte(decodeMap[v.Token[i]])
		}
		check := func(what string, tok string) {
			t.Helper()
			p, err := ParseToken(tok)
			if err != nil {
				if !errors.Is(err, ErrInvalidToken) {
					t.Errorf("%s: ParseToken: %v, want ErrInvalidToken", what, err)
				}
				return
			}
			sg, err := ParseSigned(p)
			if err != nil {
				t.Errorf("%s: ParseSigned(%s): %v", what, p, err)
				return
			}
			if err := sg.Verify(v.Key); !errors.Is(err, ErrForged) {
				t.Errorf("%s: %s verifies (err %v), want ErrForged", what, p, err)
			}
		}
		for bit := range 5 * SignedLen {
			b := bytes.Clone(vals)
			b[bit/5] ^= 1 << (4 - bit%5)
			tok := make([]byte, SignedLen)
			for i, x := range b {
				tok[i] = alphabet[x]
			}
			check(string(v.Token)+" bit "+strconv.Itoa(bit), string(tok))
			if bit >= 128 {
				if _, err := ParseToken(string(tok)); !errors.Is(err, ErrInvalidToken) {
					t.Errorf("padding bit %d set: err %v, want ErrInvalidToken", bit, err)
				}
			}
		}
		for i := range SignedLen {
			for _, c := range []byte(alphabet) {
				if c == v.Token[i] {
					continue
				}
				tok := []byte(v.Token)
				tok[i] = c
				check(string(v.Token)+" char "+strconv.Itoa(i)+"="+string(c), string(tok))
			}
		}
	}
}

func TestVerifyWrongKey(t *testing.T) {
	v := MustVectors(t)[0]
	sg, err := ParseSigned(v.Token)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	oneBit := bytes.Clone(v.Key)
	oneBit[len(oneBit)-1] ^= 1
	// (Not "one zero byte longer": HMAC pads short keys with zeros, so K and
	// K‖00 are the same key. Harmless, since keys are random and fixed-length.)
	for name, key := range map[string][]byte{"random": other, "one bit off": oneBit, "truncated": v.Key[:MinKeyLen]} {
		if err := sg.Verify(key); !errors.Is(err, ErrForged) {
			t.Errorf("Verify(%s key) = %v, want ErrForged", name, err)
		}
	}
	if err := sg.Verify(v.Key[:MinKeyLen-1]); err == nil || errors.Is(err, ErrForged) {
		t.Errorf("Verify(short key) = %v, want a configuration error", err)
	}
	if err := (Signed{}).Verify(v.Key); !errors.Is(err, ErrForged) {
		t.Errorf("zero Signed: Verify = %v, want ErrForged", err)
	}
	// The fields alone, without the token's MAC, must not verify.
	if err := (Signed{ID: sg.ID, Day: sg.Day, Serial: sg.Serial}).Verify(v.Key); !errors.Is(err, ErrForged) {
		t.Errorf("Signed without MAC: Verify = %v, want ErrForged", err)
	}
}

func TestMintRoundTrip(t *testing.T) {
	key, err := NewSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != KeyLen {
		t.Fatalf("len(NewSecretKey()) = %d, want %d", len(key), KeyLen)
	}
	r := rand.New(rand.NewPCG(1, 2))
	seen := make(map[Token]bool)
	for range 1000 {
		id, day, serial := r.Uint32N(MaxSecretID+1), r.IntN(MaxDay+1), r.Uint32N(MaxSerial+1)
		date := epoch.AddDate(0, 0, day).Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
		tok, err := Mint(Secret{ID: id, Key: key}, date, serial)
		if err != nil {
			t.Fatalf("Mint(%d, %s, %d): %v", id, date, serial, err)
		}
		if len(tok) != SignedLen || seen[tok] {
			t.Fatalf("Mint = %q: wrong length or duplicate", tok)
		}
		seen[tok] = true
		if p, err := ParseToken(string(tok)); err != nil || p != tok {
			t.Fatalf("ParseToken(%q) = %q, %v", tok, p, err)
		}
		sg, err := ParseSigned(tok)
		if err != nil {
			t.Fatal(err)
		}
		if sg.ID != id || sg.Day != day || sg.Serial != serial {
			t.Fatalf("ParseSigned(Mint(%d, %d, %d)) = %+v", id, day, serial, sg)
		}
		if err := sg.Verify(key); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if sg.token() != tok {
			t.Fatalf("re-encoded %q, want %q", sg.token(), tok)
		}
	}
}

func TestMintDay(t *testing.T) {
	key := make([]byte, KeyLen)
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2024, 5, 16, 16, 59, 59, 0, time.UTC), "2024-05-16"},
		{time.Date(2024, 5, 16, 17, 0, 0, 0, time.UTC), "2024-05-17"}, // 00:00 in Vietnam
		{time.Date(2024, 12, 31, 23, 30, 0, 0, time.FixedZone("CET", 3600)), "2025-01-01"},
		{time.Date(2019, 12, 31, 17, 0, 0, 0, time.UTC), "2020-01-01"},
	}
	for _, tt := range tests {
		tok, err := Mint(Secret{ID: 1, Key: key}, tt.at, 1)
		if err != nil {
			t.Fatal(err)
		}
		sg, err := ParseSigned(tok)
		if err != nil {
			t.Fatal(err)
		}
		if got := sg.Date().Format(time.DateOnly); got != tt.want {
			t.Errorf("Mint at %s: Date = %s, want %s", tt.at, got, tt.want)
		}
		if d := sg.Date(); d.Hour() != 0 || d.Minute() != 0 {
			t.Errorf("Date() = %s, want midnight", d)
		}
		if _, off := sg.Date().Zone(); off != 7*3600 {
			t.Errorf("Date() offset = %d, want +07:00", off)
		}
	}
}

func TestMintErrors(t *testing.T) {
	key := make([]byte, KeyLen)
	day := time.Date(2024, 5, 17, 9, 0, 0, 0, calendar.Zone)
	tests := []struct {
		name   string
		s      Secret
		day    time.Time
		serial uint32
	}{
		{"id too large", Secret{ID: MaxSecretID + 1, Key: key}, day, 1},
		{"serial too large", Secret{ID: 1, Key: key}, day, MaxSerial + 1},
		{"no key", Secret{ID: 1}, day, 1},
		{"short key", Secret{ID: 1, Key: key[:MinKeyLen-1]}, day, 1},
		{"before 2020", Secret{ID: 1, Key: key}, time.Date(2019, 12, 31, 16, 59, 0, 0, time.UTC), 1},
		{"after 2199-06-06", Secret{ID: 1, Key: key}, time.Date(2199, 6, 7, 0, 0, 0, 0, calendar.Zone), 1},
		{"zero time", Secret{ID: 1, Key: key}, time.Time{}, 1},
		{"year 9999", Secret{ID: 1, Key: key}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Mint(tt.s, tt.day, tt.serial)
			if err == nil {
				t.Fatalf("Mint = %q, want an error", tok)
			}
			if !strings.HasPrefix(err.Error(), "receipt: mint: ") {
				t.Errorf("error %q lacks the receipt: mint: prefix", err)
			}
		})
	}
	// The edges themselves are fine.
	for _, d := range []time.Time{epoch, epoch.AddDate(0, 0, MaxDay)} {
		if _, err := Mint(Secret{ID: MaxSecretID, Key: key[:MinKeyLen]}, d, MaxSerial); err != nil {
			t.Errorf("Mint on %s: %v", d, err)
		}
	}
}

func TestParseSignedRejects(t *testing.T) {
	random, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []Token{random, "", "000021HY00002E5XQH81F4V5X5", "000021HY00002E5XQH81F4V5X"} {
		if _, err := ParseSigned(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("ParseSigned(%q) = %v, want ErrInvalidToken", tok, err)
		}
		if IsSigned(tok) {
			t.Errorf("IsSigned(%q) = true", tok)
		}
	}
}
