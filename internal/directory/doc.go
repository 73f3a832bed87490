// Package directory is Roster's domain: organizations, users, groups, SCIM
// tokens and audit events; the status rules that say who may move a user
// between statuses; the error type every transport maps to a response; the
// query expressions that SCIM filters and admin searches compile to; the store
// interfaces that the sqlite and postgres packages implement; and the Service
// that carries out each use case and writes its audit event in the same
// transaction.
//
// Nothing here knows about HTTP, SQL or SCIM. Adapters depend on this package,
// never the other way round.
package directory
