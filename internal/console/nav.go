package console

import (
	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
)

// Paths of the console that other pages and emails link to. The emailed
// ones (login, set and reset password) are internal/mail's.
const (
	homePath    = "/home"
	loginPath   = "/login"
	accountPath = "/account"
)

// section is one entry of the nav: a part of the console and who may see
// it (the permission of its main page).
type section struct {
	label, path string
	perm        admin.Perm
}

// sections are the console's parts, in nav order. A section appears once
// its page is in the page table, and only to roles that hold its
// permission.
var sections = []section{
	{"Users", "/users", admin.PermRead},
	{"Import", "/users/import", admin.PermWrite},
	{"Organization", "/org", admin.PermRead},
	{"Security Center", "/org/security", admin.PermRead},
	{"Connectors", "/org/connectors", admin.PermRead},
	{"Audit", "/audit", admin.PermRead},
	{"Usage", "/usage", admin.PermUsage},
	{"My account", accountPath, admin.PermSelf},
}

// navItem is a section as the layout shows it.
type navItem struct {
	Label, Path string
}

// nav lists the sections role may see.
func (c *Console) nav(role directory.Role) []navItem {
	out := make([]navItem, 0, len(sections))
	for _, s := range sections {
		if c.patterns[s.path] && admin.Allows(s.perm, role) {
			out = append(out, navItem{Label: s.label, Path: s.path})
		}
	}
	return out
}

// stagePage is the login step a session at stage still owes.
func stagePage(stage directory.SessionStage) string {
	switch stage {
	case directory.StageMFA:
		return loginCodePath
	case directory.StageEnrol:
		return loginEnrolPath
	}
	return homePath
}
