// Package migrations embeds Roster's database schema: one directory per
// dialect, one file per step, named NNNN_name.sql. Both dialects hold the same
// steps, so that a database of either kind at step N has the same shape.
//
// Steps are applied in order, each in one transaction, by the store packages
// (see internal/store/migrate); a step, once released, is never edited: a
// change is a new step. Steps 0001-0009 are the directory's core; features
// add theirs from 0010 on.
//
// Unique indexes and constraints carry the same name in both dialects
// (table_column_key, table_pkey): internal/store/sqlstore maps the name to
// the attribute a conflict is reported on, and internal/store/sqlite maps
// SQLite's column lists to the name. A new unique index belongs in both maps.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql
var postgresFiles embed.FS

//go:embed sqlite/*.sql
var sqliteFiles embed.FS

// Postgres returns the PostgreSQL steps, the files at the root of the FS.
func Postgres() fs.FS { return sub(postgresFiles, "postgres") }

// SQLite returns the SQLite steps, the files at the root of the FS.
func SQLite() fs.FS { return sub(sqliteFiles, "sqlite") }

func sub(fsys embed.FS, dir string) fs.FS {
	s, err := fs.Sub(fsys, dir)
	if err != nil {
		// fs.Sub fails only for an invalid path; dir is a constant.
		panic(err)
	}
	return s
}
