package directory

import (
	"context"
	"errors"
	"strings"
	"time"
)

// ImportRow is one row of a bulk import: a user to create, a change to an
// existing user of the organization, or either, whichever applies when the
// row is written (an upsert).
type ImportRow struct {
	// UserName names the row's user.
	UserName string
	// Create is the user to create. Its status is chosen as CreateUser
	// chooses it. Without Update, a userName that exists fails the row.
	Create *User
	// Update changes the organization's live user named UserName. It may
	// not change the status. Without Create, an unknown userName fails the
	// row.
	Update func(*User) error
}

// ImportAction is what became of an import row.
type ImportAction string

// Import actions.
const (
	ImportCreated   ImportAction = "created"
	ImportUpdated   ImportAction = "updated"
	ImportUnchanged ImportAction = "unchanged"
	ImportFailed    ImportAction = "failed"
)

// ImportResult is the outcome of one import row: the user as written (or
// as found, when unchanged), or why the row failed.
type ImportResult struct {
	Action ImportAction
	User   *User
	Err    error
}

// MaxImportBatch bounds the rows of one ImportUsers call, which is one
// transaction.
const MaxImportBatch = 1000

// ImportUsers creates and updates users in one transaction, each change
// with its audit event, so that a 100,000-row import costs 200
// transactions rather than 100,000. A row that breaks a rule fails alone
// (its result says why) and the others are written; a race with another
// writer (a userName taken, a user changed meanwhile) reruns the whole
// batch, which then sees the winner's write.
func (s *Service) ImportUsers(ctx context.Context, actor Actor, orgID string, rows []ImportRow) ([]ImportResult, error) {
	if len(rows) > MaxImportBatch {
		return nil, Errorf(CodeInvalid, "at most %d import rows per batch", MaxImportBatch)
	}
	var results []ImportResult
	var err error
	// A batch that only creates is first written without looking its
	// userNames up (an import's check did, moments ago): the unique index
	// turns a userName taken meanwhile into a conflict, and the batch runs
	// again, looking them up, so that such a row fails alone.
	lookup := !createsOnly(rows)
	for range maxStaleRetries {
		results = make([]ImportResult, len(rows))
		err = s.store.InTx(ctx, func(r Repos) error {
			return s.importBatch(ctx, r, actor, orgID, rows, results, lookup)
		})
		if isFull(err) || (!errors.Is(err, ErrStale) && !IsCode(err, CodeConflict)) {
			break
		}
		lookup = true
	}
	if err != nil {
		return nil, err
	}
	s.bulkWritten(len(rows))
	return results, nil
}

// ImportWriter writes a batch of an import within its transaction and
// returns each row's result, as ImportUsers does.
type ImportWriter func(rows []ImportRow) ([]ImportResult, error)

// ImportAll writes a whole import in one transaction: fn writes its
// batches through write, and nothing of them is visible until fn returns
// nil and the transaction commits; an error, a crash or a lost database
// leaves nothing applied. run, recorded by StartImportRun, becomes
// ImportCommitted in that same transaction, so that its status always
// says whether the file was applied.
//
// A race with another writer (a userName taken meanwhile, a user changed)
// fails the transaction; ImportAll then runs fn again from the start,
// with lookups, so fn must start afresh on every call (its results are
// those of the last).
func (s *Service) ImportAll(ctx context.Context, actor Actor, run *ImportRun, fn func(write ImportWriter) error) error {
	var err error
	written := 0
	// The first attempt trusts the import's check, as ImportUsers does; a
	// conflict reruns it once, looking every userName up.
	for attempt := range 2 {
		lookup := attempt > 0
		written = 0
		err = s.store.InTx(ctx, func(r Repos) error {
			// First, so that the run is held (PostgreSQL locks its row,
			// SQLite the database) for as long as the import writes.
			claimed := *run
			claimed.Status, claimed.FinishedAt = ImportCommitted, s.Now()
			ok, err := r.ImportRuns().UpdateImportRun(ctx, &claimed, ImportRunning)
			if err != nil {
				return err
			}
			if !ok {
				return Errorf(CodeInvalid, "the import run is no longer running")
			}
			return fn(func(rows []ImportRow) ([]ImportResult, error) {
				if len(rows) > MaxImportBatch {
					return nil, Errorf(CodeInvalid, "at most %d import rows per batch", MaxImportBatch)
				}
				results := make([]ImportResult, len(rows))
				if err := s.importBatch(ctx, r, actor, run.OrgID, rows, results, lookup || !createsOnly(rows)); err != nil {
					return nil, err
				}
				written += len(rows)
				return results, nil
			})
		})
		if ctx.Err() != nil || isFull(err) || (!errors.Is(err, ErrStale) && !IsCode(err, CodeConflict)) {
			break
		}
	}
	if err == nil {
		run.Status = ImportCommitted
		s.bulkWritten(written)
	}
	return err
}

// StartImportRun records run as running, before its commit starts, and
// sweeps the organization's runs past retention.
func (s *Service) StartImportRun(ctx context.Context, actor Actor, run *ImportRun) error {
	run.ActorKind, run.ActorID, run.ActorName = actor.Kind, actor.ID, actor.Name
	if run.ID == "" {
		run.ID = NewID()
	}
	run.Status = ImportRunning
	return s.store.InTx(ctx, func(r Repos) error {
		if _, err := r.ImportRuns().DeleteImportRunsBefore(ctx, run.OrgID, s.Now().Add(-importRunRetention)); err != nil {
			return err
		}
		return r.ImportRuns().CreateImportRun(ctx, run)
	})
}

// FinishImportRun records how a run started by StartImportRun ended (its
// status as ImportAll left it: committed, or failed when the commit did
// not go through), its summary and report, and audits the import as a
// whole (each user it changed has its own event already).
func (s *Service) FinishImportRun(ctx context.Context, actor Actor, run *ImportRun, counts map[string]int) error {
	from := ImportCommitted
	if run.Status != ImportCommitted {
		run.Status, from = ImportAbandoned, ImportRunning
	}
	changes := map[string]Change{"file": {After: run.FileName}, "mode": {After: run.Mode}, "status": {After: string(run.Status)}}
	for k, n := range counts {
		changes[k] = Change{After: n}
	}
	return s.store.InTx(ctx, func(r Repos) error {
		if _, err := r.ImportRuns().UpdateImportRun(ctx, run, from); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, run.OrgID, "users.import", "import", run.ID, changes)
	})
}

// userWrites collects a batch's user writes, so that a store can write
// them with a few statements. A user the batch changes twice is written
// once, in its last state; one it created stays a create.
type userWrites struct {
	creates []*User
	updates []*User
	created map[string]int // user id → index in creates
	updated map[string]int // user id → index in updates
}

func newUserWrites() userWrites {
	return userWrites{created: map[string]int{}, updated: map[string]int{}}
}

func (w *userWrites) create(u *User) {
	w.created[u.ID] = len(w.creates)
	w.creates = append(w.creates, u)
}

func (w *userWrites) update(u *User) {
	if i, ok := w.created[u.ID]; ok {
		w.creates[i] = u
		return
	}
	if i, ok := w.updated[u.ID]; ok {
		w.updates[i] = u
		return
	}
	w.updated[u.ID] = len(w.updates)
	w.updates = append(w.updates, u)
}

// importWrites is an import batch's writes: its users' and their events.
type importWrites struct {
	userWrites
	events []*AuditEvent
}

// createsOnly reports whether every row only creates.
func createsOnly(rows []ImportRow) bool {
	for _, row := range rows {
		if row.Create == nil || row.Update != nil {
			return false
		}
	}
	return true
}

// importBatch writes rows, each with its result. Without lookup, it takes
// every userName for free and leaves a clash with a stored user to the
// store, as a conflict that fails the batch: only rows that only create
// may be written so.
func (s *Service) importBatch(ctx context.Context, r Repos, actor Actor, orgID string, rows []ImportRow, results []ImportResult, lookup bool) error {
	org, err := r.Orgs().GetOrg(ctx, orgID)
	if err != nil {
		return err
	}
	existing := make(map[string]*User, len(rows))
	if lookup {
		names := make([]string, 0, len(rows))
		for _, row := range rows {
			names = append(names, row.UserName)
		}
		if existing, err = s.usersByUserName(ctx, r, orgID, names); err != nil {
			return err
		}
	}
	now := s.Now()
	w := importWrites{userWrites: newUserWrites()}
	logins := newBatchLogins(lookup)
	// The entitlements each user updated had before the batch.
	before := map[string][]Grant{}
	for i, row := range rows {
		key := userNameKey(row.UserName)
		cur := existing[key]
		if row.Create != nil && (row.Update == nil || cur == nil || cur.Deleted()) {
			u, err := s.importCreate(actor, org, row.Create, cur, now)
			if err == nil {
				err = logins.admit(ctx, r, orgID, u)
			}
			if err != nil {
				results[i] = ImportResult{Action: ImportFailed, Err: err}
				continue
			}
			// A later row of the batch with the same userName now clashes.
			existing[key] = u
			w.create(u)
			w.events = append(w.events, s.importEvent(ctx, actor, "user.create", u.ID, orgID, now, diffFields(nil, userAuditFields(u))))
			results[i] = ImportResult{Action: ImportCreated, User: u}
			continue
		}
		next, changes, err := s.importUpdate(actor, org, cur, row.Update)
		if err == nil && len(changes) > 0 {
			err = checkOwned(ctx, r, actor, cur, next)
		}
		if err == nil && !strings.EqualFold(cur.Email, next.Email) {
			err = logins.admit(ctx, r, orgID, next)
		}
		switch {
		case err != nil:
			results[i] = ImportResult{Action: ImportFailed, Err: err}
		case len(changes) == 0:
			results[i] = ImportResult{Action: ImportUnchanged, User: cur}
		default:
			if _, ok := before[next.ID]; !ok {
				before[next.ID] = cur.Entitlements
			}
			// A later row of the batch naming the user starts from here.
			existing[key] = next
			w.update(next)
			w.events = append(w.events, s.importEvent(ctx, actor, "user.update", next.ID, orgID, now, changes))
			results[i] = ImportResult{Action: ImportUpdated, User: next}
		}
	}
	if err := s.writeImport(ctx, r, &w, now); err != nil {
		return err
	}
	// Seats are all or nothing: a full service refuses the batch (and so
	// the whole import, which is one transaction).
	var seats seatTally
	for _, u := range w.creates {
		seats.add(u.ID, nil, u.Entitlements)
	}
	for _, u := range w.updates {
		seats.add(u.ID, before[u.ID], u.Entitlements)
	}
	return checkSeats(ctx, r, orgID, &seats)
}

// batchLogins checks the login emails a batch of writes gives users: on
// no domain another organization verified, and unique in the organization.
type batchLogins struct {
	domains domainOwners
	emails  loginEmails
}

// newBatchLogins returns the checks of one batch; lookup says whether the
// batch looks stored users up (see loginEmails).
func newBatchLogins(lookup bool) batchLogins {
	return batchLogins{domains: domainOwners{}, emails: loginEmails{lookup: lookup, held: map[string]string{}}}
}

// admit checks u's login email and, if it may have it, holds it for u.
func (b batchLogins) admit(ctx context.Context, r Repos, orgID string, u *User) error {
	if err := b.domains.check(ctx, r, orgID, u.Email); err != nil {
		return err
	}
	return b.emails.take(ctx, r, orgID, u)
}

// loginEmails keeps a batch's login emails unique: a row taking one a
// row before it took fails alone, and so, once the batch looks users up,
// does a row taking one a stored user holds. (Without the lookup, the
// store's unique index fails the batch, which then runs again with it.)
type loginEmails struct {
	lookup bool
	held   map[string]string // lower-cased email → id of the user holding it
}

func (l loginEmails) take(ctx context.Context, r Repos, orgID string, u *User) error {
	if u.Email == "" {
		return nil
	}
	key := strings.ToLower(u.Email)
	holder, ok := l.held[key]
	if !ok && l.lookup {
		other, err := r.Users().FindUserByEmail(ctx, orgID, u.Email)
		switch {
		case err == nil:
			holder = other.ID
		case !IsCode(err, CodeNotFound):
			return err
		}
	}
	if holder != "" && holder != u.ID {
		return FieldErrorf(CodeConflict, "email", "another user of this organization has the email %s", u.Email)
	}
	l.held[key] = u.ID
	return nil
}

// importCreate prepares a new user as CreateUser does; cur is the user
// holding the userName already, if any.
func (s *Service) importCreate(actor Actor, org *Org, in *User, cur *User, now time.Time) (*User, error) {
	u := in.Clone()
	MirrorContacts(nil, u)
	u.Normalize()
	if cur != nil && !cur.Deleted() {
		return nil, FieldErrorf(CodeConflict, "userName", "userName %q is already taken", u.UserName)
	}
	if err := checkNewUser(u); err != nil {
		return nil, err
	}
	if err := ValidateProperties(org, u.Properties, requiresAllProperties(actor)); err != nil {
		return nil, err
	}
	u.ID, u.OrgID, u.CreatedAt, u.UpdatedAt, u.Version = NewID(), org.ID, now, now, 1
	// The status was set by the import, on behalf of the actor.
	u.StatusSetBy, u.StatusSetByID, u.StatusChangedAt = AuthorityImport, actor.ID, now
	u.StatusBeforeDelete, u.StatusBeforeDeleteSetBy, u.DeletedAt = "", "", nil
	u.FailedLogins, u.LastLoginAt, u.ActivatedAt, u.LockedUntil = 0, nil, nil, nil
	if u.Status == StatusActive {
		u.ActivatedAt = &now
	}
	return u, nil
}

// importUpdate applies an update row to the organization's live user cur
// and returns the changed user and its audit changes (none: unchanged).
func (s *Service) importUpdate(actor Actor, org *Org, cur *User, update func(*User) error) (*User, map[string]Change, error) {
	switch {
	case cur == nil || cur.OrgID != org.ID:
		return nil, nil, FieldErrorf(CodeNotFound, "userName", "no user with this userName in the organization")
	case cur.Deleted():
		return nil, nil, FieldErrorf(CodeInvalid, "userName", "the user with this userName is deleted; restore it first")
	}
	if update == nil {
		return nil, nil, Errorf(CodeInvalid, "an import row must create or update")
	}
	next := cur.Clone()
	if err := update(next); err != nil {
		return nil, nil, err
	}
	keepImmutable(cur, next)
	MirrorContacts(cur, next)
	next.Normalize()
	if next.Status != cur.Status || next.StatusReason != cur.StatusReason {
		return nil, nil, FieldErrorf(CodeInvalid, "status", "an import does not change statuses")
	}
	if err := next.Validate(); err != nil {
		return nil, nil, err
	}
	if !samePropertyValues(cur.Properties, next.Properties) {
		if err := ValidateProperties(org, next.Properties, requiresAllProperties(actor)); err != nil {
			return nil, nil, err
		}
	}
	changes := userChanges(cur, next)
	if cur.PasswordHash != next.PasswordHash {
		changes["password"] = Change{After: "changed"}
	}
	return next, changes, nil
}

func (s *Service) importEvent(ctx context.Context, actor Actor, action, userID, orgID string, now time.Time, changes map[string]Change) *AuditEvent {
	return &AuditEvent{
		ID: NewID(), OrgID: orgID, Time: now,
		ActorKind: actor.Kind, ActorID: actor.ID, ActorName: actor.Name,
		Action: action, TargetKind: "user", TargetID: userID,
		Changes: changes, RequestID: RequestID(ctx),
	}
}

// usersByUserName looks userNames up in the organization, in one query,
// and keys the users found by userNameKey: the user holding the name, or
// else a deleted user that had it.
func (s *Service) usersByUserName(ctx context.Context, r Repos, orgID string, names []string) (map[string]*User, error) {
	found, err := r.Bulk().FindUsersByUserNames(ctx, orgID, names)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*User, len(found))
	for _, u := range found {
		keepHolder(out, u)
	}
	return out, nil
}

// keepHolder files u under its userName unless a user that holds the name
// (one not deleted) is filed there already.
func keepHolder(byName map[string]*User, u *User) {
	key := userNameKey(u.UserName)
	if cur := byName[key]; cur == nil || cur.Deleted() {
		byName[key] = u
	}
}

// writeImport writes a batch: the new users and the audit events with a
// few multi-row statements, the updates one by one.
func (s *Service) writeImport(ctx context.Context, r Repos, w *importWrites, now time.Time) error {
	if err := r.Bulk().CreateUsers(ctx, w.creates); err != nil {
		return err
	}
	for _, u := range w.updates {
		if err := r.Users().UpdateUser(ctx, u, now); err != nil {
			return err
		}
	}
	return r.Bulk().AppendAuditEvents(ctx, w.events)
}

// FindUsersByUserNames looks userNames up in an organization, regardless
// of case, among its users deleted or not; names not found are left out.
func (s *Service) FindUsersByUserNames(ctx context.Context, orgID string, userNames []string) ([]*User, error) {
	if len(userNames) > MaxImportBatch {
		return nil, Errorf(CodeInvalid, "at most %d userNames per lookup", MaxImportBatch)
	}
	return s.store.Bulk().FindUsersByUserNames(ctx, orgID, userNames)
}

// importRunRetention is how long a committed import's report is kept.
const importRunRetention = 90 * 24 * time.Hour

// SaveImportRun records a committed import with its report, sweeps the
// organization's runs past retention, and audits the import as a whole
// (each user it changed has its own event already).
func (s *Service) SaveImportRun(ctx context.Context, actor Actor, run *ImportRun, counts map[string]int) error {
	run.ActorKind, run.ActorID, run.ActorName = actor.Kind, actor.ID, actor.Name
	if run.ID == "" {
		run.ID = NewID()
	}
	changes := map[string]Change{"file": {After: run.FileName}, "mode": {After: run.Mode}}
	for k, n := range counts {
		changes[k] = Change{After: n}
	}
	return s.store.InTx(ctx, func(r Repos) error {
		if _, err := r.ImportRuns().DeleteImportRunsBefore(ctx, run.OrgID, s.Now().Add(-importRunRetention)); err != nil {
			return err
		}
		if err := r.ImportRuns().CreateImportRun(ctx, run); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, run.OrgID, "users.import", "import", run.ID, changes)
	})
}

// GetImportRun returns an import of the organization. A run found running
// that no live commit holds was left by a process that died: it applied
// nothing, and is marked failed first.
func (s *Service) GetImportRun(ctx context.Context, orgID, id string) (*ImportRun, error) {
	run, err := s.store.ImportRuns().GetImportRun(ctx, orgID, id)
	if err != nil || run.Status != ImportRunning {
		return run, err
	}
	if _, err := s.store.ImportRuns().AbandonImportRuns(ctx, orgID, s.Now()); err != nil {
		return run, nil //nolint:nilerr // still running, as far as can be told
	}
	return s.store.ImportRuns().GetImportRun(ctx, orgID, id)
}

// userNameKey folds a userName for the case-insensitive uniqueness rule.
func userNameKey(s string) string { return strings.ToLower(NormalizeUserName(s)) }
