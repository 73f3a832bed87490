//go:build race

package racedetect

// Enabled is whether the binary was built with -race.
const Enabled = true
