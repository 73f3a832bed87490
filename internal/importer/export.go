package importer

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
)

// Lister pages through an organization's users; the directory service is
// one.
type Lister interface {
	ListUsers(ctx context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error)
}

// ServiceLister lists an organization's services; a Lister that is one
// (the directory service is) has the services column of the export
// filled.
type ServiceLister interface {
	OrgServices(ctx context.Context, orgID string) ([]*directory.OrgService, error)
}

// exportHeader is the template's header followed by the read-only
// columns, so that an edited export imports back.
func exportHeader(org *directory.Org) []string {
	return append(templateHeader(org), readOnlyColumns...)
}

// Export writes the organization's users that q selects (its filter and
// IncludeDeleted; paging is Export's) as CSV or XLSX, a page at a time, and
// returns how many it wrote. Cells are neutralized. An error after the
// first page leaves the file unfinished (an XLSX then does not open);
// callers that stream to a client can only abort the response.
func Export(ctx context.Context, users Lister, org *directory.Org, q directory.UserQuery, format Format, w io.Writer) (int, error) {
	sw, err := newSheetWriter(w, format, templateSheet, exportHeader(org))
	if err != nil {
		return 0, err
	}
	n, err := exportPages(ctx, users, org, q, sw)
	if err != nil {
		sw.abort()
		return n, err
	}
	return n, sw.close()
}

func exportPages(ctx context.Context, users Lister, org *directory.Org, q directory.UserQuery, sw sheetWriter) (int, error) {
	q.Limit, q.Offset, q.After, q.CountTotal = directory.MaxPageSize, 0, "", false
	q.Sort = directory.Sort{} // id order: the keyset paging the stores do best
	row := make([]string, 0, len(exportHeader(org)))
	var services []*directory.OrgService
	if sl, ok := users.(ServiceLister); ok {
		var err error
		if services, err = sl.OrgServices(ctx, org.ID); err != nil {
			return 0, err
		}
	}
	n := 0
	for {
		page, err := users.ListUsers(ctx, org.ID, q)
		if err != nil {
			return n, err
		}
		for _, u := range page.Users {
			if err := sw.write(exportRow(row[:0], org, services, u)); err != nil {
				return n, err
			}
			n++
		}
		if page.Next == "" {
			return n, nil
		}
		q.After = page.Next
	}
}

func exportRow(row []string, org *directory.Org, services []*directory.OrgService, u *directory.User) []string {
	for _, sc := range standardColumns {
		row = append(row, *userText(u, sc.field))
	}
	var keys []string
	for _, sv := range directory.UserServices(u, services) {
		keys = append(keys, sv.Key)
	}
	row = append(row, strings.Join(keys, ";"))
	for _, p := range org.UserProperties {
		row = append(row, formatProperty(u.Properties[p.Key]))
	}
	return append(row,
		u.ID, string(u.Status), u.StatusReason, string(u.Source),
		formatTime(&u.CreatedAt), formatTime(&u.UpdatedAt), formatTime(u.LastLoginAt),
	)
}

func formatProperty(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ExportQuery builds the query of an export from its filters, each
// optional (""): statuses, comma-separated ("deleted" includes soft-deleted
// users), role, source, and text, which every row must contain in its
// userName, email or displayName.
func ExportQuery(statuses, role, source, text string) (directory.UserQuery, error) {
	var q directory.UserQuery
	var and directory.And
	if statuses != "" {
		var or directory.Or
		for _, s := range strings.Split(statuses, ",") {
			st := directory.Status(strings.TrimSpace(s))
			if !st.Valid() {
				return q, directory.FieldErrorf(directory.CodeInvalid, "status", "status %q is not valid", s)
			}
			q.IncludeDeleted = q.IncludeDeleted || st == directory.StatusDeleted
			or = append(or, directory.Eq(directory.UserStatus, string(st)))
		}
		and = append(and, or)
	}
	if role != "" {
		if !directory.Role(role).Valid() {
			return q, directory.FieldErrorf(directory.CodeInvalid, "role", "role %q is not valid", role)
		}
		and = append(and, directory.Eq(directory.UserRole, role))
	}
	if source != "" {
		if !directory.Source(source).Valid() {
			return q, directory.FieldErrorf(directory.CodeInvalid, "source", "source %q is not valid", source)
		}
		and = append(and, directory.Eq(directory.UserSource, source))
	}
	if text = strings.TrimSpace(text); text != "" {
		if len(text) > 200 {
			return q, directory.FieldErrorf(directory.CodeInvalid, "q", "q is longer than 200 characters")
		}
		and = append(and, directory.Or{
			directory.Compare{Attr: directory.UserUserName, Op: directory.OpCo, Value: text},
			directory.Compare{Attr: directory.UserEmail, Op: directory.OpCo, Value: text},
			directory.Compare{Attr: directory.UserDisplayName, Op: directory.OpCo, Value: text},
		})
	}
	if len(and) > 0 {
		q.Filter = and
	}
	return q, nil
}
