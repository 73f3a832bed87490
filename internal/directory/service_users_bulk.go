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
			names := make([]string, 0, len(ins))
			for _, in := range ins {
				names = append(names, in.UserName)
			}
			taken, err := s.usersByUserName(ctx, r, names)
			if err != nil {
				return err
			}
			var org *Org
			now := s.Now()
			for i, in := range ins {
				u := in.Clone()
				u.Normalize()
				if err := checkNewUser(u); err != nil {
					results[i] = ImportResult{Action: ImportFailed, Err: err}
					continue
				}
				key := userNameKey(u.UserName)
				if taken[key] != nil {
					results[i] = ImportResult{Action: ImportFailed, Err: FieldErrorf(CodeConflict, "userName", "userName is already taken")}
					continue
				}
				if len(u.Properties) > 0 || requiresAllProperties(actor) {
					if org == nil {
						if org, err = r.Orgs().GetOrg(ctx, orgID); err != nil {
							return err
						}
					}
					if err := ValidateProperties(org, u.Properties, requiresAllProperties(actor)); err != nil {
						results[i] = ImportResult{Action: ImportFailed, Err: err}
						continue
					}
				}
				u.ID, u.OrgID, u.CreatedAt, u.UpdatedAt, u.Version = NewID(), orgID, now, now, 1
				u.StatusSetBy, u.StatusSetByID, u.StatusChangedAt = actor.StatusAuthority(), actor.ID, now
				u.StatusBeforeDelete, u.StatusBeforeDeleteSetBy, u.DeletedAt = "", "", nil
				u.FailedLogins, u.LastLoginAt = 0, nil
				if u.Status == StatusActive {
					u.ActivatedAt = &now
				}
				if err := r.Users().CreateUser(ctx, u); err != nil {
					return err
				}
				if err := s.audit(ctx, r, actor, orgID, "user.create", "user", u.ID, diffFields(nil, userAuditFields(u))); err != nil {
					return err
				}
				taken[key] = u
				created = append(created, u)
				results[i] = ImportResult{Action: ImportCreated, User: u}
			}
			return nil
		})
		if ctx.Err() != nil || !IsCode(err, CodeConflict) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	for _, u := range created {
		s.users.put(u)
	}
	return results, nil
}
