package scim

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/etag"
)

// preconditions reads If-Match and If-None-Match (RFC 7232, as RFC 7644
// section 3.14 uses them) for a write, and returns the version to pin the
// write to: 0 when any version will do. current reads the resource's
// version; it is called only when a header needs it.
func preconditions(r *http.Request, current func() (int64, error)) (int64, error) {
	var pinned int64
	if h := r.Header.Get("If-Match"); h != "" && strings.TrimSpace(h) != "*" {
		tags := etag.Parse(h)
		if len(tags) == 1 {
			pinned = tags[0]
		} else {
			v, err := current()
			if err != nil {
				return 0, err
			}
			if !containsVersion(tags, v) {
				return 0, directory.ErrStale
			}
			pinned = v
		}
	}
	if h := r.Header.Get("If-None-Match"); h != "" {
		// The resource exists (or current fails with not found), so "*"
		// never holds for a write.
		v, err := current()
		if err != nil {
			return 0, err
		}
		if strings.TrimSpace(h) == "*" || containsVersion(etag.Parse(h), v) {
			return 0, directory.ErrStale
		}
	}
	return pinned, nil
}

// notModified reports whether a GET's If-None-Match names the version.
func notModified(r *http.Request, version int64) bool {
	h := r.Header.Get("If-None-Match")
	return h != "" && (strings.TrimSpace(h) == "*" || containsVersion(etag.Parse(h), version))
}

func containsVersion(tags []int64, v int64) bool {
	for _, t := range tags {
		if t == v {
			return true
		}
	}
	return false
}

// validID reports whether id can name a resource. Roster's ids are UUIDs;
// anything else is not found without asking the store.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

func notFound(kind, id string) error {
	return directory.Errorf(directory.CodeNotFound, "%s %s not found", kind, id)
}
