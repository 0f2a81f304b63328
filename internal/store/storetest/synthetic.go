package storetest

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"sipas/internal/calendar"
)

// Synthetic describes a generated province: agencies of very different sizes, a year of
// responses over every channel and month with missing answers, blank forms and comments, and
// the receipts each agency issued. The benchmarks and the exactness tests use it; the files
// are the import CSVs of CONTRACT.md, so any sipas (old or new) can import them.
type Synthetic struct {
	Agencies  int      // number of agencies, codes P00, P01, …
	Responses int      // responses of the year
	Year      int      // the year of the responses and the populations
	Codes     []string // the questionnaire's scored question codes, in order
	Seed      uint64
	// Prefix starts every agency code and response id (default "P"), so that two generated
	// provinces can share one database.
	Prefix string
}

// SyntheticFiles are the paths WriteSynthetic wrote.
type SyntheticFiles struct {
	Agencies, Populations, Responses string
}

// WriteSynthetic writes agencies.csv, populations.csv and responses_YEAR.csv of g into dir.
func WriteSynthetic(dir string, g Synthetic) (SyntheticFiles, error) {
	if g.Prefix == "" {
		g.Prefix = "P"
	}
	rng := rand.New(rand.NewPCG(g.Seed, 0x5eed))
	sizes := agencySizes(rng, g.Agencies, g.Responses)
	f := SyntheticFiles{
		Agencies:    filepath.Join(dir, g.Prefix+"agencies.csv"),
		Populations: filepath.Join(dir, fmt.Sprintf("%spopulations_%d.csv", g.Prefix, g.Year)),
		Responses:   filepath.Join(dir, fmt.Sprintf("%sresponses_%d.csv", g.Prefix, g.Year)),
	}
	agencies := [][]string{{"code", "name", "level", "parent_code"}}
	pops := [][]string{{"year", "agency_code", "receipts"}}
	for a, n := range sizes {
		code := g.agency(a)
		level, parent := "district", g.agency(0)
		if a == 0 {
			level, parent = "province", ""
		}
		agencies = append(agencies, []string{code, fmt.Sprintf("Cơ quan %s", code), level, parent})
		// Some agencies ask every citizen (a census stratum: receipts = responses).
		receipts := n + n*(a%4)
		if a%7 == 3 {
			receipts = n
		}
		pops = append(pops, []string{strconv.Itoa(g.Year), code, strconv.Itoa(max(receipts, 1))})
	}
	if err := writeCSV(f.Agencies, agencies); err != nil {
		return f, err
	}
	if err := writeCSV(f.Populations, pops); err != nil {
		return f, err
	}
	return f, g.writeResponses(f.Responses, rng, sizes)
}

func (g Synthetic) agency(a int) string { return fmt.Sprintf("%s%02d", g.Prefix, a) }

// agencySizes splits n responses over k agencies with sizes a hundredfold apart; a few
// agencies get one response (a lonely stratum) when there are enough of them.
func agencySizes(rng *rand.Rand, k, n int) []int {
	w := make([]float64, k)
	var sum float64
	for i := range w {
		w[i] = math.Exp(rng.Float64() * math.Log(100))
		sum += w[i]
	}
	sizes := make([]int, k)
	left := n
	for i := range sizes {
		sizes[i] = int(float64(n) * w[i] / sum)
		if k >= 5 && i == k-1 {
			sizes[i] = 1
		}
		left -= sizes[i]
	}
	sizes[0] += left
	return sizes
}

// writeResponses writes the responses file: agencies interleaved at random, as files from
// several offices concatenated and sorted by time would be.
func (g Synthetic) writeResponses(path string, rng *rand.Rand, sizes []int) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	w := csv.NewWriter(bw)
	header := append(append([]string{"response_id", "agency_code", "channel", "submitted_at"}, g.Codes...), "comment")
	if err := w.Write(header); err != nil {
		out.Close()
		return err
	}
	left := append([]int(nil), sizes...)
	total := g.Responses
	rec := make([]string, len(header))
	start := time.Date(g.Year, 1, 1, 0, 0, 0, 0, calendar.Zone)
	for i := range total {
		a := pickAgency(rng, left, total-i)
		left[a]--
		g.fillRow(rng, rec, i, a, start)
		if err := w.Write(rec); err != nil {
			out.Close()
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		out.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// pickAgency draws an agency with probability proportional to the responses it has left.
func pickAgency(rng *rand.Rand, left []int, total int) int {
	r := rng.IntN(total)
	for a, n := range left {
		if r < n {
			return a
		}
		r -= n
	}
	return len(left) - 1
}

var syntheticChannels = []string{"counter", "counter", "counter", "online", "online", "postal"}

var syntheticComments = []string{"Cán bộ nhiệt tình, chu đáo.", "Thời gian chờ hơi lâu", "Thủ tục, giấy tờ còn rườm rà; cần đơn giản hơn",
	"Rất hài lòng", "Nên có chỗ để xe rộng hơn."}

// fillRow writes response i of agency a into rec.
func (g Synthetic) fillRow(rng *rand.Rand, rec []string, i, a int, start time.Time) {
	rec[0] = fmt.Sprintf("%s%d-%07d", g.Prefix, g.Year, i)
	rec[1] = g.agency(a)
	rec[2] = syntheticChannels[rng.IntN(len(syntheticChannels))]
	at := start.Add(time.Duration(rng.Int64N(int64(364 * 24 * time.Hour))))
	rec[3] = at.Format(time.RFC3339)
	blank := rng.IntN(50) == 0
	mu := 3.6 + 0.08*float64(a%10)
	for k := range g.Codes {
		rec[4+k] = ""
		if blank || rng.IntN(10) == 0 {
			continue
		}
		v := int(math.Round(mu + rng.NormFloat64()))
		rec[4+k] = strconv.Itoa(min(max(v, 1), 5))
	}
	rec[len(rec)-1] = ""
	if rng.IntN(10) == 0 {
		rec[len(rec)-1] = syntheticComments[rng.IntN(len(syntheticComments))]
	}
}

func writeCSV(path string, rows [][]string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(out)
	if err := w.WriteAll(rows); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
