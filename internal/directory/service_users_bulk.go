package directory

import "context"

// CreateUsers creates users as CreateUser does, all in one transaction: a
// user that breaks a rule (a userName taken, a property missing) fails
// alone and its result says why; the others are created together, or not
// at all if the transaction fails (an error, a crash, a lost database).
// A userName taken by another writer meanwhile reruns the transaction,
// which then fails that row alone.
func (s *Service) CreateUsers(ctx context.Context, actor Actor, orgID string, ins []*User) ([]ImportResult, error) {
	if len(ins) > MaxImportBatch {
		return nil, Errorf(CodeInvalid, "at most %d users at once", MaxImportBatch)
	}
	var results []ImportResult
	var created []*User
	var err error
	for range 2 {
		results, created = make([]ImportResult, len(ins)), nil
		err = s.store.InTx(ctx, func(r Repos) error {
			org, err := r.Orgs().GetOrg(ctx, orgID)
			if err != nil {
				return err
			}
			names := make([]string, 0, len(ins))
			for _, in := range ins {
				names = append(names, in.UserName)
			}
			taken, err := s.usersByUserName(ctx, r, orgID, names)
			if err != nil {
				return err
			}
			now := s.Now()
			logins := newBatchLogins(true)
			var seats seatTally
			for i, in := range ins {
				// The rules of an imported row are the rules of a
				// created user; only the authority differs.
				u, err := s.importCreate(actor, org, in, taken[userNameKey(in.UserName)], now)
				if err == nil {
					err = logins.admit(ctx, r, orgID, u)
				}
				if err != nil {
					results[i] = ImportResult{Action: ImportFailed, Err: err}
					continue
				}
				u.StatusSetBy = actor.StatusAuthority()
				if err := r.Users().CreateUser(ctx, u); err != nil {
					return err
				}
				if err := s.audit(ctx, r, actor, orgID, "user.create", "user", u.ID, diffFields(nil, userAuditFields(u))); err != nil {
					return err
				}
				// A later row with the same userName now clashes.
				taken[userNameKey(u.UserName)] = u
				created = append(created, u)
				results[i] = ImportResult{Action: ImportCreated, User: u}
				seats.add(u.ID, nil, u.Entitlements)
			}
			// Seats are all or nothing: a full service refuses the batch.
			return checkSeats(ctx, r, orgID, &seats)
		})
		if ctx.Err() != nil || isFull(err) || !IsCode(err, CodeConflict) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	for _, u := range created {
		s.users.put(u)
	}
	s.bulkWritten(len(created))
	return results, nil
}
