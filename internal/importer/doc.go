// Package importer reads and writes users in bulk as CSV and Excel (XLSX)
// spreadsheets: it generates an organization's import template, checks an
// uploaded file row by row (the preview, which writes nothing), commits a
// checked file through the directory service, keeps each commit's report,
// and exports users.
//
// Files are untrusted. An upload is spooled to a temporary file, never held
// in memory, and read row by row, twice: once to check every row, and once
// more to write, so that a file with any problem changes nothing. Limits
// (see Limits) bound the upload size, rows, columns, cell and row sizes and,
// for XLSX, the sizes the zip directory declares: a zip bomb is refused
// before a byte of it is inflated, and archive/zip refuses to inflate more
// than an entry declares. Text must be UTF-8 (a byte order mark is fine);
// UTF-16, legacy code pages and binary files are refused with what to do.
//
// Columns are named after the directory's attributes (userName, givenName,
// familyName …; see columns.go) and matched regardless of case, spaces,
// dashes, dots and underscores. Custom properties are columns named after
// the property's key (or label, or "properties.<key>"). The export's
// read-only columns (id, status, source, createdAt …) are ignored on import,
// so that an export can be edited and imported back. When updating, blank
// cells leave values as they are.
//
// The check looks the users of each batch of rows up in one query; the
// write hands batches of 500 rows to the service's ImportUsers, one
// transaction each with an audit event per change, several transactions
// at a time, and reports the rows in file order.
//
// Cells that a spreadsheet would run as formulas (=, +, -, @ …) are plain
// text to Roster. On export such cells are prefixed with an apostrophe
// (see Neutralize); the importer removes that one apostrophe again, so that
// an export imports back unchanged. XLSX formula cells are read as their
// cached value and never evaluated.
//
// The admin API (internal/admin) serves all this over HTTP through the
// Importer's use cases (Preview, CommitRecorded, RunSummary, Export …);
// Command is `roster import`.
package importer
