// Package etag spells the versions of Roster's objects as HTTP entity tags
// and reads them back, the same way for every API (SCIM, admin,
// connectors). Tags are weak, W/"7": the JSON of a version may change in
// form (attribute selection, field order) but not in meaning.
package etag

import (
	"strconv"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// Of is the entity tag of version.
func Of(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// Parse reads a list of entity tags, weak or strong (they compare weakly).
// A tag that is not one of Roster's versions becomes -1, which matches no
// version.
func Parse(header string) []int64 {
	var out []int64
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		v, err := strconv.ParseInt(strings.Trim(t, `"`), 10, 64)
		if err != nil || v <= 0 {
			v = -1
		}
		out = append(out, v)
	}
	return out
}

// Pinned reads an If-Match header that may name one version: the version,
// or 0 when the header is empty or "*" (any version will do). Anything else
// is CodeInvalid.
func Pinned(header string) (int64, error) {
	header = strings.TrimSpace(header)
	if header == "" || header == "*" {
		return 0, nil
	}
	if tags := Parse(header); len(tags) == 1 && tags[0] > 0 {
		return tags[0], nil
	}
	return 0, directory.Errorf(directory.CodeInvalid, "If-Match must be one entity tag this API returned")
}
