package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// plan is a checked data row and, when the scanner looked users up, what
// a commit would do with it. A plan with problems is not written.
type plan struct {
	cand   *candidate
	layout *layout
	action directory.ImportAction // created, updated or unchanged; "" when not looked up
}

// scanner reads a file once, checks every row (cells, duplicates within
// the file and, when it looks users up, the users that exist) and hands
// the rows to a callback one batch at a time.
type scanner struct {
	dir   Directory
	org   *directory.Org
	mode  Mode
	batch int
	sum   *Summary
	// lookup asks the directory which users exist and plans each row
	// against them. A commit's write pass does not: the service decides
	// in its transaction.
	lookup bool
	// userNames and externalIDs remember the first row of each value, for
	// duplicates within the file.
	userNames   map[string]int
	externalIDs map[string]int
	// ahead are the batches being looked up, in file order.
	ahead []*lookup
}

// lookupsAhead is how many batches are looked up while the scanner reads
// on: the database answers one while the next is parsed.
const lookupsAhead = 2

// lookup is a batch whose users are being looked up and its rows planned,
// in a goroutine of its own, which alone touches the batch's candidates
// until done is closed.
type lookup struct {
	plans []*plan
	err   error
	done  chan struct{}
}

func newScanner(dir Directory, org *directory.Org, mode Mode, batch int, sum *Summary, lookup bool) *scanner {
	return &scanner{dir: dir, org: org, mode: mode, batch: batch, sum: sum, lookup: lookup, userNames: map[string]int{}, externalIDs: map[string]int{}}
}

// scan reads f; header problems stop it before any row is read. Each batch
// is handed to each in file order.
func (s *scanner) scan(ctx context.Context, f *File, each func(context.Context, []*plan) error) error {
	rr, err := f.open()
	if err != nil {
		return err
	}
	defer rr.close()
	// Whatever stops the scan, no lookup outlives it.
	defer func() {
		for _, lk := range s.ahead {
			<-lk.done
		}
		s.ahead = nil
	}()
	_, header, err := rr.next()
	if errors.Is(err, io.EOF) {
		return fileError("the file has no header row")
	}
	if err != nil {
		return err
	}
	l, problems := bindHeader(header, s.org, s.mode)
	if len(problems) > 0 {
		for _, p := range problems {
			s.sum.addProblem(p)
		}
		return nil
	}
	if _, ok := l.byField[fieldServices]; ok {
		if l.services, err = s.dir.OrgServices(ctx, s.org.ID); err != nil {
			return err
		}
	}
	pending := make([]*candidate, 0, s.batch)
	for {
		line, cells, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		c := parseRow(l, s.org, f.format, line, cells)
		if c == nil {
			continue
		}
		s.sum.Rows++
		s.checkDuplicates(l, c)
		pending = append(pending, c)
		if len(pending) == s.batch {
			if err := s.flush(ctx, l, pending, each); err != nil {
				return err
			}
			pending = pending[:0]
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if err := s.flush(ctx, l, pending, each); err != nil {
		return err
	}
	return s.settle(ctx, each, 0)
}

func (s *scanner) checkDuplicates(l *layout, c *candidate) {
	if c.set.has(fieldUserName) {
		key := strings.ToLower(c.user.UserName)
		if first, dup := s.userNames[key]; dup {
			c.problem(l.byField[fieldUserName], fmt.Sprintf("userName %q is also on row %d", c.user.UserName, first))
		} else {
			s.userNames[key] = c.line
		}
	}
	if c.set.has(fieldExternalID) {
		id := c.user.ExternalID
		if first, dup := s.externalIDs[id]; dup {
			c.problem(l.byField[fieldExternalID], fmt.Sprintf("externalId %q is also on row %d", id, first))
		} else {
			s.externalIDs[id] = c.line
		}
	}
}

// flush hands a batch on. When the scanner looks users up, it starts
// looking the batch's userNames up, in one call, and planning each row,
// and hands on the oldest batches looked up until at most lookupsAhead
// are under way.
func (s *scanner) flush(ctx context.Context, l *layout, batch []*candidate, each func(context.Context, []*plan) error) error {
	if len(batch) == 0 {
		return nil
	}
	if !s.lookup {
		plans := make([]*plan, len(batch))
		for i, c := range batch {
			plans[i] = &plan{cand: c, layout: l}
		}
		return each(ctx, plans)
	}
	lk := &lookup{done: make(chan struct{})}
	batch = slices.Clone(batch) // the caller reuses its slice
	go func() {
		defer close(lk.done)
		lk.plans, lk.err = s.plan(ctx, l, batch)
	}()
	s.ahead = append(s.ahead, lk)
	return s.settle(ctx, each, lookupsAhead)
}

// settle hands on the oldest batches looked up until at most keep are
// under way.
func (s *scanner) settle(ctx context.Context, each func(context.Context, []*plan) error, keep int) error {
	for len(s.ahead) > keep {
		lk := s.ahead[0]
		<-lk.done
		s.ahead = s.ahead[1:]
		if lk.err != nil {
			return lk.err
		}
		if err := each(ctx, lk.plans); err != nil {
			return err
		}
	}
	return nil
}

// plan looks the batch's userNames up and plans each row. It reads only
// what the scanner does not change while it reads on.
func (s *scanner) plan(ctx context.Context, l *layout, batch []*candidate) ([]*plan, error) {
	names := make([]string, 0, len(batch))
	for _, c := range batch {
		if c.set.has(fieldUserName) {
			names = append(names, c.user.UserName)
		}
	}
	found, err := s.dir.FindUsersByUserNames(ctx, s.org.ID, names)
	if err != nil {
		return nil, err
	}
	// The user holding a userName, or else a deleted user that had it.
	existing := make(map[string]*directory.User, len(found))
	for _, u := range found {
		key := strings.ToLower(u.UserName)
		if cur := existing[key]; cur == nil || cur.Deleted() {
			existing[key] = u
		}
	}
	owners := map[string]bool{} // email domain → verified by another organization
	plans := make([]*plan, 0, len(batch))
	for _, c := range batch {
		p := &plan{cand: c, layout: l}
		if len(c.problems) == 0 {
			p.action = s.classify(l, c, existing[strings.ToLower(c.user.UserName)])
		}
		if p.action == directory.ImportCreated || p.action == directory.ImportUpdated {
			if err := s.checkDomain(ctx, l, c, p.action, owners); err != nil {
				return nil, err
			}
			if len(c.problems) > 0 {
				p.action = ""
			}
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// checkDomain refuses a row whose login email is on a domain another
// organization has verified, as the service would. It says exactly that,
// and nothing of the other organization or its users.
func (s *scanner) checkDomain(ctx context.Context, l *layout, c *candidate, action directory.ImportAction, owners map[string]bool) error {
	email, col := "", l.byField[fieldEmail]
	switch {
	case c.set.has(fieldEmail):
		email = c.user.Email
	case action == directory.ImportCreated && directory.IsEmail(c.user.UserName):
		email, col = c.user.UserName, l.byField[fieldUserName]
	}
	domain := directory.EmailDomain(email)
	if domain == "" {
		return nil
	}
	taken, ok := owners[domain]
	if !ok {
		o, err := s.dir.FindOrgByDomain(ctx, domain)
		switch {
		case directory.IsCode(err, directory.CodeNotFound):
		case err != nil:
			return err
		default:
			taken = o.ID != s.org.ID
		}
		owners[domain] = taken
	}
	if taken {
		c.problem(col, fmt.Sprintf("the email domain %s is verified by another organization; use an email on a domain of this organization", domain))
	}
	return nil
}

// classify decides what the row does to the user that exists (nil: none)
// and records what keeps it from doing so.
func (s *scanner) classify(l *layout, c *candidate, cur *directory.User) directory.ImportAction {
	userName := l.byField[fieldUserName]
	switch {
	case cur == nil && s.mode == ModeUpdate:
		c.problem(userName, "no user with this userName in the organization")
	case cur != nil && cur.Deleted() && s.mode == ModeUpdate:
		c.problem(userName, "the user with this userName is deleted; restore it first")
	case cur == nil || cur.Deleted():
		// A deleted user's userName is free: the row creates a new user.
		c.checkCreate(l, s.org)
		return directory.ImportCreated
	case s.mode == ModeCreate:
		c.problem(userName, "a user with this userName already exists (import in update mode to change it)")
	default:
		next := cur.Clone()
		changed, err := c.applyTo(next)
		if err == nil && changed {
			next.Normalize()
			err = next.Validate()
			if err == nil && !reflect.DeepEqual(cur.Properties, next.Properties) {
				// As the service does: only a change of properties is
				// held to the required ones.
				err = directory.ValidateProperties(s.org, next.Properties, true)
			}
		}
		if err != nil {
			c.backstop(l, err)
			return ""
		}
		if changed {
			return directory.ImportUpdated
		}
		return directory.ImportUnchanged
	}
	return ""
}
