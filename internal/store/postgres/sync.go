package postgres

import "github.com/roster/roster/internal/directory"

// The directory sync stores are implemented once, in sqlstore; the Store
// hands them out like the other repositories.

// Connectors implements directory.SyncRepos.
func (s *Store) Connectors() directory.ConnectorStore { return s.repos.Connectors() }

// SyncRuns implements directory.SyncRepos.
func (s *Store) SyncRuns() directory.SyncRunStore { return s.repos.SyncRuns() }

// SyncLinks implements directory.SyncRepos.
func (s *Store) SyncLinks() directory.SyncLinkStore { return s.repos.SyncLinks() }

// SyncBatches implements directory.SyncRepos.
func (s *Store) SyncBatches() directory.SyncBatchStore { return s.repos.SyncBatches() }
