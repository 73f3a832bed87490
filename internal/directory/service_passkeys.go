package directory

import "context"

// ListPasskeys lists a user's passkeys, oldest first.
func (s *Service) ListPasskeys(ctx context.Context, orgID, userID string) ([]*Passkey, error) {
	return s.store.Passkeys().ListPasskeys(ctx, orgID, userID)
}

// FindPasskey finds a passkey by its credential id, in any organization;
// the caller checks that it belongs where it is used. None is
// CodeNotFound.
func (s *Service) FindPasskey(ctx context.Context, credentialID []byte) (*Passkey, error) {
	return s.store.Passkeys().GetPasskeyByCredential(ctx, credentialID)
}

// AddPasskey stores a user's new passkey, at most MaxPasskeys of them,
// and audits it (its name, never key material). A user without unused
// recovery codes (a passkey as its first second factor) gets
// recoveryHashes as its recovery codes, and fresh reports it (see
// enrolRecoveryCodes).
func (s *Service) AddPasskey(ctx context.Context, actor Actor, p *Passkey, recoveryHashes []string) (fresh bool, err error) {
	name, err := CheckPasskeyName(p.Name)
	if err != nil {
		return false, err
	}
	p.Name = name
	if p.ID == "" {
		p.ID = NewID()
	}
	p.CreatedAt = s.Now()
	err = s.store.InTx(ctx, func(r Repos) error {
		fresh = false
		if _, err := r.Users().GetUser(ctx, p.OrgID, p.UserID); err != nil {
			return err
		}
		keys, err := r.Passkeys().ListPasskeys(ctx, p.OrgID, p.UserID)
		if err != nil {
			return err
		}
		if len(keys) >= MaxPasskeys {
			return Errorf(CodeInvalid, "a user may register at most %d passkeys; remove one first", MaxPasskeys)
		}
		if err := r.Passkeys().CreatePasskey(ctx, p); err != nil {
			return err
		}
		changes := map[string]Change{"passkey": {After: p.Name}}
		if fresh, err = s.enrolRecoveryCodes(ctx, r, p.OrgID, p.UserID, recoveryHashes, false, changes); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, p.OrgID, "user.passkey.add", "user", p.UserID, changes)
	})
	return fresh, err
}

// RenamePasskey renames one of a user's passkeys.
func (s *Service) RenamePasskey(ctx context.Context, actor Actor, orgID, userID, id, name string) (*Passkey, error) {
	name, err := CheckPasskeyName(name)
	if err != nil {
		return nil, err
	}
	var out *Passkey
	err = s.store.InTx(ctx, func(r Repos) error {
		p, err := userPasskey(ctx, r, orgID, userID, id)
		if err != nil {
			return err
		}
		if p.Name == name {
			out = p
			return nil
		}
		if err := r.Passkeys().RenamePasskey(ctx, orgID, userID, id, name); err != nil {
			return err
		}
		before := p.Name
		p.Name, out = name, p
		return s.audit(ctx, r, actor, orgID, "user.passkey.rename", "user", userID,
			map[string]Change{"passkey": {Before: before, After: name}})
	})
	return out, err
}

// RemovePasskey removes one of a user's passkeys. A user who owes a
// second factor (see NeedsTOTP) keeps at least one it may sign in with:
// removing its last one is refused; an admin's reset removes them all.
func (s *Service) RemovePasskey(ctx context.Context, actor Actor, orgID, userID, id string) error {
	return s.store.InTx(ctx, func(r Repos) error {
		p, err := userPasskey(ctx, r, orgID, userID, id)
		if err != nil {
			return err
		}
		u, err := r.Users().GetUser(ctx, orgID, userID)
		if err != nil {
			return err
		}
		org, err := r.Orgs().GetOrg(ctx, orgID)
		if err != nil {
			return err
		}
		m, err := r.MFA().GetMFA(ctx, orgID, userID)
		if err != nil {
			return err
		}
		keys, err := r.Passkeys().ListPasskeys(ctx, orgID, userID)
		if err != nil {
			return err
		}
		phone, err := r.SMS().GetSMSPhone(ctx, orgID, userID)
		if err != nil && !IsCode(err, CodeNotFound) {
			return err
		}
		left := len(keys) - 1
		if NeedsTOTP(org, u, m) && !HasSecondFactor(org, m, phone.Enrolled(), left) {
			return Errorf(CodeConflict, "this is your last second factor and your organization requires one: "+
				"set up another one before removing it, or ask an admin to reset your second factors")
		}
		if err := r.Passkeys().DeletePasskey(ctx, orgID, userID, id); err != nil {
			return err
		}
		return s.audit(ctx, r, actor, orgID, "user.passkey.remove", "user", userID,
			map[string]Change{"passkey": {Before: p.Name}})
	})
}

// userPasskey returns the passkey id of the user; another user's or
// organization's is CodeNotFound.
func userPasskey(ctx context.Context, r Repos, orgID, userID, id string) (*Passkey, error) {
	keys, err := r.Passkeys().ListPasskeys(ctx, orgID, userID)
	if err != nil {
		return nil, err
	}
	for _, p := range keys {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, Errorf(CodeNotFound, "passkey not found")
}

// RecordPasskeyUse stores the counter a passkey signed with and when; false
// means another sign-in with the same counter won (a cloned key, or a
// replay) and this one must fail.
func (s *Service) RecordPasskeyUse(ctx context.Context, p *Passkey, newCount uint32) (bool, error) {
	return s.store.Passkeys().RecordPasskeyUse(ctx, p.OrgID, p.ID, p.SignCount, newCount, s.Now())
}

// ReportClonedPasskey audits a sign-in refused because the passkey's
// counter went backwards: two copies of the key exist.
func (s *Service) ReportClonedPasskey(ctx context.Context, p *Passkey) error {
	return s.store.InTx(ctx, func(r Repos) error {
		return s.audit(ctx, r, loginActor, p.OrgID, "user.passkey.cloned", "user", p.UserID,
			map[string]Change{"passkey": {Before: p.Name}})
	})
}

// StartPasskeyCeremony stores a WebAuthn challenge awaiting its answer.
func (s *Service) StartPasskeyCeremony(ctx context.Context, c *PasskeyCeremony) error {
	return s.store.Passkeys().PutCeremony(ctx, c, s.Now())
}

// TakePasskeyCeremony spends the live ceremony of a challenge, if it has
// this kind, organization and session; anything else is CodeNotFound.
func (s *Service) TakePasskeyCeremony(ctx context.Context, challenge string, kind CeremonyKind, orgID, sessionID string) (*PasskeyCeremony, error) {
	return s.store.Passkeys().TakeCeremony(ctx, challenge, kind, orgID, sessionID, s.Now())
}

// HasSecondFactor reports whether a user may complete a login's second
// step with a factor it has enrolled and its organization allows: a TOTP
// seed, a confirmed SMS phone, or one of its passkeys (it has `passkeys`
// of them). The login itself asks auth.SecondFactors, which also knows
// whether SMS and passkeys are configured on this server.
func HasSecondFactor(org *Org, m *MFAState, sms bool, passkeys int) bool {
	s := &org.Settings
	return (m.Enrolled() && s.Allows(FactorTOTP)) ||
		(sms && s.Allows(FactorSMS)) ||
		(passkeys > 0 && s.Allows(FactorPasskey))
}
