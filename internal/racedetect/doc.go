// Package racedetect tells tests whether they run under the race detector.
//
// SQLite here is C translated to Go, so -race instruments the database
// engine itself: a test that writes thousands of rows (each through the
// FTS5 trigram index of users) takes minutes with it and seconds without,
// and the detector learns nothing about Roster's own code from them. Such
// tests skip their SQLite part under -race, and make test runs them again
// without it (NORACE_TESTS in the Makefile).
package racedetect
