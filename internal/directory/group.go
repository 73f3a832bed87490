package directory

import (
	"strings"
	"time"
)

// Group is a named set of users of one organization. Members are users;
// nested groups are not supported.
type Group struct {
	ID          string
	OrgID       string
	DisplayName string
	ExternalID  string
	Source      Source
	SourceRef   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
	// SeatLimited, set by GroupStore.GetGroup only, is whether a service
	// with a seat limit maps the group: adding members must then check
	// the seats.
	SeatLimited bool
}

// Member is one user in a group, as listed with the group.
type Member struct {
	UserID  string
	Display string // the user's display name, or userName
}

// Validate checks a group's attributes.
func (g *Group) Validate() error {
	g.DisplayName = strings.TrimSpace(g.DisplayName)
	if g.DisplayName == "" {
		return FieldErrorf(CodeInvalid, "displayName", "displayName is required")
	}
	for _, f := range [...]struct{ name, v string }{
		{"displayName", g.DisplayName}, {"externalId", g.ExternalID}, {"sourceRef", g.SourceRef},
	} {
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	if g.Source == "" {
		g.Source = SourceLocal
	}
	if !g.Source.Valid() {
		return FieldErrorf(CodeInvalid, "source", "source %q is not valid", g.Source)
	}
	return nil
}
