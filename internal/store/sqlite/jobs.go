package sqlite

import "github.com/roster/roster/internal/directory"

// The bulk, job and import-run stores are implemented once, in sqlstore;
// the Store hands them out like the other repositories. On one node the
// scheduler's lock is in-process (jobs.LocalLocker).

// Bulk implements directory.JobRepos.
func (s *Store) Bulk() directory.BulkUserStore { return s.repos.Bulk() }

// Jobs implements directory.JobRepos.
func (s *Store) Jobs() directory.JobStore { return s.repos.Jobs() }

// ImportRuns implements directory.JobRepos.
func (s *Store) ImportRuns() directory.ImportRunStore { return s.repos.ImportRuns() }
