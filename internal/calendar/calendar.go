// Package calendar is the one clock face of sipas: the Asia/Ho_Chi_Minh time zone in which
// years, months and days are counted (CONTRACT.md: "the response's year is taken from it in
// Asia/Ho_Chi_Minh time"), and the few date sums the other packages need. It does no I/O.
//
// The zone is a fixed UTC+07:00. Vietnam has kept that offset since 1975, so it is exact for
// every date sipas handles, and it does not depend on the server having a time-zone
// database (STYLE.md pitfall 11): a response submitted at 00:30 on 1 January is counted in
// the new year on any host.
package calendar

import "time"

// Zone is Asia/Ho_Chi_Minh, UTC+07:00.
var Zone = time.FixedZone("ICT", 7*60*60)

// In returns t in Vietnam time.
func In(t time.Time) time.Time { return t.In(Zone) }

// Year returns the year of t in Vietnam time.
func Year(t time.Time) int { return t.In(Zone).Year() }

// YearMonth returns the year and month (1–12) of t in Vietnam time.
func YearMonth(t time.Time) (year, month int) {
	v := t.In(Zone)
	return v.Year(), int(v.Month())
}

// ThisYear is the current year in Vietnam.
func ThisYear() int { return Year(time.Now()) }

// Day returns t's calendar day in Vietnam as YYYY-MM-DD.
func Day(t time.Time) string { return t.In(Zone).Format(time.DateOnly) }

// StartOfDay returns 00:00 in Vietnam of t's calendar day there.
func StartOfDay(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Zone)
}

// ParseDay reads a day YYYY-MM-DD as 00:00 of that day in Vietnam.
func ParseDay(s string) (time.Time, error) { return time.ParseInLocation(time.DateOnly, s, Zone) }

// DateOnly returns t's calendar date in Vietnam as midnight UTC, a time without a zone, for
// spreadsheets: they have no time zones, so a date cell must show the day an official saw.
func DateOnly(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DaysBetween is the number of calendar days in Vietnam from a to b, negative when b is
// before a. Counting whole dates avoids clock arithmetic; it saturates for absurd dates.
func DaysBetween(a, b time.Time) int {
	return int(DateOnly(b).Sub(DateOnly(a)) / (24 * time.Hour))
}

// MonthsBefore returns the same day and time months calendar months before t, in Vietnam.
func MonthsBefore(t time.Time, months int) time.Time { return t.In(Zone).AddDate(0, -months, 0) }
