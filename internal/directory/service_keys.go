package directory

import (
	"context"
	"errors"
)

// ErrSealedUnreadable is a Resealer's answer for a value that none of the
// configured keys opens.
var ErrSealedUnreadable = errors.New("sealed value opens under none of the keys")

// Resealer re-seals one stored value under the primary encryption key. It
// returns the value to store and whether it differs: a value already under
// the primary key comes back unchanged. A value no key opens is
// ErrSealedUnreadable.
type Resealer func(v SealedValue) (value []byte, changed bool, err error)

// ResealCount is what ResealSecrets did to one kind of sealed value.
type ResealCount struct {
	Kind SealedKind
	// Resealed were sealed under a previous key and now are under the
	// primary one.
	Resealed int
	// Current were already under the primary key.
	Current int
	// Unreadable open under none of the keys; they stay as they were.
	Unreadable int
	// Moved changed while they were being re-sealed (a user enrolled
	// again, an admin updated a connector): a second run takes them.
	Moved int
}

// resealPage is how many values ResealSecrets reads at a time.
const resealPage = 200

// ResealSecrets re-seals every stored secret under the primary key, kind by
// kind, and counts what it did. Each replacement is written in its own
// transaction with an audit event in the value's organization, and only if
// the value did not change meanwhile, so it can run while Roster serves.
func (s *Service) ResealSecrets(ctx context.Context, actor Actor, reseal Resealer) ([]ResealCount, error) {
	var counts []ResealCount
	for _, kind := range SealedKinds {
		count := ResealCount{Kind: kind}
		after := ""
		for {
			page, err := s.store.Sealed().SealedValues(ctx, kind, after, resealPage)
			if err != nil {
				return counts, err
			}
			for _, v := range page {
				if err := s.resealOne(ctx, actor, reseal, v, &count); err != nil {
					return append(counts, count), err
				}
			}
			if len(page) < resealPage {
				break
			}
			after = page[len(page)-1].ID
		}
		counts = append(counts, count)
	}
	return counts, nil
}

func (s *Service) resealOne(ctx context.Context, actor Actor, reseal Resealer, v SealedValue, count *ResealCount) error {
	value, changed, err := reseal(v)
	switch {
	case errors.Is(err, ErrSealedUnreadable):
		count.Unreadable++
		return nil
	case err != nil:
		return err
	case !changed:
		count.Current++
		return nil
	}
	replaced := false
	err = s.store.InTx(ctx, func(r Repos) error {
		var err error
		if replaced, err = r.Sealed().ReplaceSealed(ctx, v, value); err != nil || !replaced {
			return err
		}
		return s.audit(ctx, r, actor, v.OrgID, "secret.reseal", sealedTarget(v.Kind), v.ID,
			map[string]Change{"sealed": {After: string(v.Kind)}})
	})
	if err != nil {
		return err
	}
	if replaced {
		count.Resealed++
	} else {
		count.Moved++
	}
	return nil
}

// sealedTarget is the audit target kind of a sealed value's row.
func sealedTarget(kind SealedKind) string {
	switch kind {
	case SealedSSOClientSecret:
		return "org"
	case SealedConnectorSecrets:
		return "connector"
	}
	return "user"
}
