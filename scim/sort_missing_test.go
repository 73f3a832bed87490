package scim_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// RFC 7644 §3.4.2.3: resources with no value for sortBy come last in
// ascending order and first in descending order.
func TestSortPutsMissingValuesLastAscendingFirstDescending(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) directory.Store) {
		e := newEnv(t, newStore(t))
		e.createUser("b@acme.example", `,"title":"beta","externalId":"x2"`)
		e.createUser("none1@acme.example")
		e.createUser("a@acme.example", `,"title":"Alpha","externalId":"x1"`)
		e.createUser("none2@acme.example")
		names := func(sortBy, order string, extra string) []string {
			t.Helper()
			q := url.Values{"sortBy": {sortBy}, "sortOrder": {order}}
			m := e.must(e.call("GET", "/Users?"+q.Encode()+extra, ""), http.StatusOK)
			var out []string
			for _, r := range m["Resources"].([]any) {
				out = append(out, r.(map[string]any)["userName"].(string))
			}
			return out
		}
		for _, sortBy := range []string{"title", "externalId"} {
			asc := names(sortBy, "ascending", "")
			if want := []string{"a@acme.example", "b@acme.example", "none1@acme.example", "none2@acme.example"}; !slices.Equal(asc, want) {
				t.Errorf("sortBy=%s ascending: %v, want %v", sortBy, asc, want)
			}
			desc := names(sortBy, "descending", "")
			if want := []string{"none2@acme.example", "none1@acme.example", "b@acme.example", "a@acme.example"}; !slices.Equal(desc, want) {
				t.Errorf("sortBy=%s descending: %v, want %v", sortBy, desc, want)
			}
			// Paging by cursor through the missing values keeps the order.
			var paged []string
			cursor := ""
			for range 5 {
				q := url.Values{"sortBy": {sortBy}, "sortOrder": {"descending"}, "count": {"1"}, "cursor": {cursor}}
				m := e.must(e.call("GET", "/Users?"+q.Encode(), ""), http.StatusOK)
				for _, r := range m["Resources"].([]any) {
					paged = append(paged, r.(map[string]any)["userName"].(string))
				}
				next, _ := m["nextCursor"].(string)
				if next == "" {
					break
				}
				cursor = next
			}
			if !slices.Equal(paged, desc) {
				t.Errorf("sortBy=%s descending, by cursor: %v, want %v", sortBy, paged, desc)
			}
		}
	})
}
