package sqlstore

import (
	"context"
	"strings"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// Connectors implements directory.SyncRepos.
func (r *Repos) Connectors() directory.ConnectorStore { return connectorStore{r} }

// SyncRuns implements directory.SyncRepos.
func (r *Repos) SyncRuns() directory.SyncRunStore { return syncRunStore{r} }

// SyncLinks implements directory.SyncRepos.
func (r *Repos) SyncLinks() directory.SyncLinkStore { return syncLinkStore{r} }

// SyncBatches implements directory.SyncRepos.
func (r *Repos) SyncBatches() directory.SyncBatchStore { return syncBatchStore{r} }

// insertRows runs head (…), (…) tail over rows, bulkRows at a time, and
// returns the rows the statements changed. head ends with VALUES; every
// row has the same number of values.
func insertRows(ctx context.Context, db DB, d sqlbuild.Dialect, head, tail string, rows [][]any) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	width := len(rows[0])
	step := bulkRows(d, width)
	var total int64
	for start := 0; start < len(rows); start += step {
		chunk := rows[start:min(start+step, len(rows))]
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, len(chunk)*width)
		for i, row := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + sqlbuild.Placeholders(len(args)+1, width) + ")")
			args = append(args, row...)
		}
		b.WriteString(" " + tail)
		n, err := db.Exec(ctx, b.String(), args...)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
