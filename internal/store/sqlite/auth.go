package sqlite

import "github.com/roster/roster/internal/directory"

// The login stores are implemented once, in sqlstore; the Store hands them
// out like the other repositories.

// Sessions implements directory.AuthRepos.
func (s *Store) Sessions() directory.SessionStore { return s.repos.Sessions() }

// Links implements directory.AuthRepos.
func (s *Store) Links() directory.LinkStore { return s.repos.Links() }

// MFA implements directory.AuthRepos.
func (s *Store) MFA() directory.MFAStore { return s.repos.MFA() }

// OIDC implements directory.AuthRepos.
func (s *Store) OIDC() directory.OIDCStore { return s.repos.OIDC() }

// Passkeys implements directory.AuthRepos.
func (s *Store) Passkeys() directory.PasskeyStore { return s.repos.Passkeys() }
