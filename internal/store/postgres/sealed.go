package postgres

import "github.com/roster/roster/internal/directory"

// Sealed implements directory.Repos.
func (s *Store) Sealed() directory.SealedStore { return s.repos.Sealed() }
