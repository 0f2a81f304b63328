//go:build race

package main

// raceDetector reports whether the tests run with -race: end-to-end latency bounds are then
// measured in their own step of .ci/run instead (the race run has every package's tests at once).
const raceDetector = true
