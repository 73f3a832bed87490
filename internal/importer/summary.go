package importer

import (
	"github.com/roster/roster/internal/directory"
)

// Mode says what an import may do to users.
type Mode string

// Modes.
const (
	// ModeCreate creates users; a row whose userName exists is a problem.
	ModeCreate Mode = "create"
	// ModeUpdate updates users of the organization; a row whose userName
	// is unknown is a problem. Blank cells leave the value as it is.
	ModeUpdate Mode = "update"
	// ModeUpsert creates the users that do not exist and updates those
	// that do.
	ModeUpsert Mode = "upsert"
)

// ParseMode reads a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeCreate, ModeUpdate, ModeUpsert:
		return m, nil
	}
	return "", directory.FieldErrorf(directory.CodeInvalid, "mode", "mode %q is not create, update or upsert", s)
}

// Problem is what is wrong with one row (or the header, row 1): Row is the
// row number the spreadsheet shows, Column the header of the column, Cell
// its spreadsheet name ("C7").
type Problem struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Cell    string `json:"cell,omitempty"`
	Message string `json:"message"`
}

// MaxProblems bounds the problems a summary lists; ProblemCount counts them
// all.
const MaxProblems = 1000

// Summary is the outcome of a preview or a commit. In a preview the counts
// are what a commit would do.
type Summary struct {
	Format Format `json:"format"`
	Mode   Mode   `json:"mode"`
	// Rows counts the data rows read; blank rows are skipped.
	Rows      int `json:"rows"`
	Creates   int `json:"creates"`
	Updates   int `json:"updates"`
	Unchanged int `json:"unchanged"`
	// Failed counts rows that failed while committing (a user created by
	// someone else in between, say); the report says why.
	Failed int `json:"failed"`
	// Invited counts the invitation emails sent, InviteFailed those that
	// could not be.
	Invited      int       `json:"invited"`
	InviteFailed int       `json:"inviteFailed"`
	Problems     []Problem `json:"problems"`
	ProblemCount int       `json:"problemCount"`
	// Committed is true once a commit has written; a preview, or a file
	// with problems, writes nothing.
	Committed bool `json:"committed"`
}

// OK reports whether the file has no problem.
func (s *Summary) OK() bool { return s.ProblemCount == 0 }

func (s *Summary) addProblem(p Problem) {
	s.ProblemCount++
	if len(s.Problems) < MaxProblems {
		s.Problems = append(s.Problems, p)
	}
}
