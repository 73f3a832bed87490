package sqlite

import "github.com/roster/roster/internal/directory"

// SMS implements directory.AuthRepos.
func (s *Store) SMS() directory.SMSStore { return s.repos.SMS() }
