//go:build race

package sqlite_test

// raceDetector is whether the tests run under -race. SQLite here is C
// translated to Go, so the race detector instruments the database engine
// itself: seeding thousands of FTS5-indexed rows takes minutes with it and
// seconds without, and tells it nothing about Roster's own code.
const raceDetector = true
