package console

import (
	"net/http"

	"github.com/roster/roster/internal/admin"
)

// table is every page and form of the console, with its permission.
func (c *Console) table() []page {
	get, post := http.MethodGet, http.MethodPost
	pages := []page{
		{get, "/{$}", admin.PermPublic, false, c.root},
		{get, homePath, admin.PermSelf, false, c.home},
		{post, "/logout", admin.PermPending, false, c.logout},

		{get, loginPath, admin.PermPublic, false, c.loginPage},
		{post, loginPath, admin.PermPublic, true, c.loginSubmit},
		{post, loginPath + "/sso", admin.PermPublic, true, c.ssoDiscover},
		{get, "/o/{slug}/login", admin.PermPublic, false, c.loginPage},
		{post, "/o/{slug}/login", admin.PermPublic, true, c.loginSubmit},
		{get, loginCodePath, admin.PermPending, false, c.codePage},
		{post, loginCodePath, admin.PermPending, true, c.codeSubmit},
		{get, loginEnrolPath, admin.PermPending, false, c.enrolPage},
		{post, loginEnrolPath, admin.PermPending, true, c.enrolSubmit},
		{get, loginSMSPath, admin.PermPending, false, c.loginSMSPage},
		{post, loginSMSPath, admin.PermPending, true, c.loginSMSSubmit},
		{post, loginSMSPath + "/send", admin.PermPending, true, c.loginSMSSend},
		{get, loginEnrolSMSPath, admin.PermPending, false, c.enrolSMSPage},
		{post, loginEnrolSMSPath, admin.PermPending, true, c.enrolSMSSubmit},
		{post, loginEnrolSMSPath + "/send", admin.PermPending, true, c.enrolSMSSend},

		{get, forgotPath, admin.PermPublic, false, c.forgotPage},
		{post, forgotPath, admin.PermPublic, true, c.forgotSubmit},
		{get, setPasswordPath, admin.PermPublic, false, c.passwordPage},
		{post, setPasswordPath, admin.PermPublic, true, c.passwordSubmit},
		{get, resetPasswordPath, admin.PermPublic, false, c.passwordPage},
		{post, resetPasswordPath, admin.PermPublic, true, c.passwordSubmit},
		{post, passwordCheckPath, admin.PermPublic, false, c.passwordCheck},

		{get, accountPath, admin.PermSelf, false, c.account},
		{post, accountPath + "/profile", admin.PermSelf, false, c.accountProfile},
		{post, accountPath + "/password", admin.PermSelf, true, c.accountPassword},
		{post, accountPath + "/recovery-codes", admin.PermSelf, true, c.accountRecoveryCodes},
		{post, accountPath + "/recovery-codes/sms", admin.PermSelf, true, c.accountRecoverySMS},
		{post, accountPath + "/sessions/{id}/end", admin.PermSelf, false, c.accountEndSession},
		{post, accountPath + "/sessions/end-others", admin.PermSelf, false, c.accountEndOthers},
		{post, accountPath + "/passkeys/{id}/rename", admin.PermSelf, false, c.accountRenamePasskey},
		{post, accountPath + "/passkeys/{id}/remove", admin.PermSelf, false, c.accountRemovePasskey},
		{post, accountPath + "/tokens", admin.PermSelf, true, c.accountCreateToken},
		{post, accountPath + "/tokens/{id}/revoke", admin.PermSelf, false, c.accountRevokeToken},
	}
	if c.cfg.Users != nil {
		pages = append(pages, c.userPages()...)
	}
	if c.cfg.Importer != nil {
		pages = append(pages, c.importPages()...)
	}
	return pages
}

// orgTable is the organization's pages: settings, domains, properties,
// Security Center, SCIM tokens, and the audit log and usage.
func (c *Console) orgTable() []page {
	get, post := http.MethodGet, http.MethodPost
	read, write := admin.PermRead, admin.PermWrite
	return []page{
		{get, orgPath, read, false, c.orgPage},
		{post, "/org/domains", write, false, c.addDomain},
		{post, "/org/domains/{domain}/verify", write, false, c.verifyDomain},
		{post, "/org/domains/{domain}/primary", write, false, c.primaryDomain},
		{post, "/org/domains/{domain}/remove", write, false, c.removeDomain},
		{post, "/org/properties", write, false, c.addProperty},
		{post, "/org/properties/{key}/remove", write, false, c.removeProperty},
		{get, securityPath, read, false, c.securityPage},
		{post, securityPath, write, false, c.saveSecurity},
		{post, "/org/sso", write, false, c.saveSSO},
		{post, "/org/sso/remove", write, false, c.removeSSO},
		{get, tokensPath, read, false, c.tokensPage},
		{post, tokensPath, write, false, c.createToken},
		{post, "/org/scim-tokens/{id}/revoke", write, false, c.revokeToken},
		{get, auditPath, read, false, c.auditPage},
		{get, auditExportPath, read, false, c.auditExport},
		{get, usagePath, admin.PermUsage, false, c.usagePage},
		{get, usageExportPath, admin.PermUsage, false, c.usageExport},
	}
}
