package admin

import "net/http"

// opDoc describes a route for the OpenAPI document.
type opDoc struct {
	tag, summary string
	// body and resp name schemas in schemas.json ("" for none).
	body, resp string
	// status is the success status (200 if zero).
	status int
	// query lists the query parameters.
	query []string
	// upload: the body is a CSV or XLSX file (or a multipart form with a
	// file field); download: so is the answer.
	upload, download bool
	// unprocessable names the schema of a 422 answer ("" for none).
	unprocessable string
}

// table is every route of the API. The OpenAPI document is built from it.
func (h *handler) table() []route {
	get, post, put, patch, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	return []route{
		{get, "/openapi.json", permPublic, false, opDoc{tag: "meta", summary: "This document"}, h.openapi},

		{post, "/auth/login", permPublic, true, opDoc{tag: "auth", summary: "Log in with email and password", body: "Login", resp: "Session"}, h.login},
		{post, "/auth/mfa", permPending, true, opDoc{tag: "auth", summary: "Complete a login with a TOTP or recovery code", body: "Code", resp: "Session"}, h.verifyMFA},
		{post, "/auth/logout", permPending, false, opDoc{tag: "auth", summary: "End the current session", status: 204}, h.logout},
		{post, "/auth/password/forgot", permPublic, true, opDoc{tag: "auth", summary: "Email a password reset link", body: "Forgot", resp: "Message", status: 202}, h.forgotPassword},
		{post, "/auth/password/set", permPublic, true, opDoc{tag: "auth", summary: "Set a password through a one-time link", body: "SetPassword", resp: "PasswordSet"}, h.setPassword},
		{get, "/auth/sso/{org}/start", permPublic, true, opDoc{tag: "auth", summary: "Start single sign-on for an organization (redirects)", status: 302}, h.startSSO},
		{get, "/auth/sso/callback", permPublic, true, opDoc{tag: "auth", summary: "Single sign-on callback (redirects home)", status: 303, query: []string{"code", "state", "error"}}, h.ssoCallback},

		{get, "/me", permSelf, false, opDoc{tag: "me", summary: "Your profile", resp: "User"}, h.me},
		{patch, "/me", permSelf, false, opDoc{tag: "me", summary: "Edit your profile", body: "ProfilePatch", resp: "User"}, h.patchMe},
		{post, "/me/password", permSelf, true, opDoc{tag: "me", summary: "Change your password", body: "PasswordChange", status: 204}, h.changePassword},
		{get, "/me/mfa", permSelf, false, opDoc{tag: "me", summary: "Your second factor", resp: "MFA"}, h.myMFA},
		{post, "/me/mfa/totp", permPending, true, opDoc{tag: "me", summary: "Start TOTP enrolment (also at the enrol stage of a login)", resp: "Enrolment"}, h.beginEnrolment},
		{post, "/me/mfa/totp/confirm", permPending, true, opDoc{tag: "me", summary: "Confirm TOTP enrolment with a first code", body: "Code", resp: "RecoveryCodes"}, h.confirmEnrolment},
		{post, "/me/mfa/recovery-codes", permSelf, true, opDoc{tag: "me", summary: "Replace your recovery codes", body: "Code", resp: "RecoveryCodes"}, h.newRecoveryCodes},
		{get, "/me/tokens", permSelf, false, opDoc{tag: "me", summary: "Your personal API tokens", resp: "APITokenList"}, h.listAPITokens},
		{post, "/me/tokens", permSelf, true, opDoc{tag: "me", summary: "Create a personal API token (shown once)", body: "Name", resp: "APIToken", status: 201}, h.createAPIToken},
		{del, "/me/tokens/{id}", permSelf, false, opDoc{tag: "me", summary: "Revoke a personal API token", status: 204}, h.revokeAPIToken},

		{get, "/users", permRead, false, opDoc{tag: "users", summary: "List and search users", resp: "UserPage",
			query: []string{"q", "status", "role", "source", "sort", "order", "limit", "cursor"}}, h.listUsers},
		{post, "/users", permWrite, false, opDoc{tag: "users", summary: "Create a user", body: "CreateUser", resp: "CreatedUser", status: 201}, h.createUser},
		{post, "/users/bulk", permWrite, false, opDoc{tag: "users", summary: "Create many users, row by row", body: "BulkCreate", resp: "BulkResult"}, h.createUsers},
		{post, "/users/delete", permWrite, false, opDoc{tag: "users", summary: "Soft-delete many users", body: "BulkDelete", resp: "BulkResult"}, h.deleteUsers},
		{get, "/users/{id}", permRead, false, opDoc{tag: "users", summary: "One user in full", resp: "User"}, h.getUser},
		{patch, "/users/{id}", permWrite, false, opDoc{tag: "users", summary: "Edit a user (an empty password keeps it)", body: "UserPatch", resp: "User"}, h.patchUser},
		{del, "/users/{id}", permWrite, false, opDoc{tag: "users", summary: "Soft-delete a user", resp: "User"}, h.deleteUser},
		{post, "/users/{id}/role", permWrite, false, opDoc{tag: "users", summary: "Change a user's role", body: "Role", resp: "User"}, h.setRole},
		{post, "/users/{id}/suspend", permWrite, false, opDoc{tag: "users", summary: "Ban a user; its sessions end", body: "Reason", resp: "User"}, h.suspend},
		{post, "/users/{id}/reactivate", permWrite, false, opDoc{tag: "users", summary: "Validate or reactivate a user", body: "Reason", resp: "User"}, h.reactivate},
		{post, "/users/{id}/unlock", permWrite, false, opDoc{tag: "users", summary: "Unlock a locked user, optionally with a new password", body: "Unlock", resp: "User"}, h.unlock},
		{post, "/users/{id}/reset-password", permWrite, false, opDoc{tag: "users", summary: "Email a password link", resp: "Email", status: 202}, h.resetPassword},
		{post, "/users/{id}/restore", permWrite, false, opDoc{tag: "users", summary: "Restore a deleted user", resp: "User"}, h.restoreUser},
		{post, "/users/{id}/mfa", permWrite, false, opDoc{tag: "users", summary: "Require TOTP of a user, or stop requiring it", body: "MFARequire", resp: "User"}, h.requireMFA},
		{del, "/users/{id}/mfa", permWrite, false, opDoc{tag: "users", summary: "Reset a user's TOTP and recovery codes", resp: "User"}, h.resetMFA},

		{get, "/org", permRead, false, opDoc{tag: "org", summary: "The organization and its security settings", resp: "Org"}, h.getOrg},
		{patch, "/org/settings", permWrite, false, opDoc{tag: "org", summary: "Change security settings", body: "SettingsPatch", resp: "Org"}, h.patchSettings},
		{put, "/org/domains", permWrite, false, opDoc{tag: "org", summary: "Replace the email domains", body: "Domains", resp: "Org"}, h.putDomains},
		{get, "/org/properties", permRead, false, opDoc{tag: "org", summary: "Custom user property definitions", resp: "PropertyList"}, h.listProperties},
		{post, "/org/properties", permWrite, false, opDoc{tag: "org", summary: "Define a custom user property", body: "Property", resp: "Org", status: 201}, h.createProperty},
		{patch, "/org/properties/{key}", permWrite, false, opDoc{tag: "org", summary: "Edit a property's label or requirement", body: "PropertyPatch", resp: "Org"}, h.patchProperty},
		{del, "/org/properties/{key}", permWrite, false, opDoc{tag: "org", summary: "Remove a property definition", resp: "Org"}, h.deleteProperty},
		{get, "/org/sso", permRead, false, opDoc{tag: "org", summary: "Single sign-on settings", resp: "SSO"}, h.getSSO},
		{put, "/org/sso", permWrite, false, opDoc{tag: "org", summary: "Set single sign-on (OIDC) settings", body: "SSORequest", resp: "SSO"}, h.putSSO},
		{del, "/org/sso", permWrite, false, opDoc{tag: "org", summary: "Remove single sign-on", status: 204}, h.deleteSSO},
		{get, "/org/scim-tokens", permRead, false, opDoc{tag: "org", summary: "SCIM tokens (never their secrets)", resp: "SCIMTokenList"}, h.listSCIMTokens},
		{post, "/org/scim-tokens", permWrite, true, opDoc{tag: "org", summary: "Create a SCIM token (shown once)", body: "Name", resp: "SCIMToken", status: 201}, h.createSCIMToken},
		{del, "/org/scim-tokens/{id}", permWrite, false, opDoc{tag: "org", summary: "Revoke a SCIM token", status: 204}, h.revokeSCIMToken},
		{get, "/org/usage", permUsage, false, opDoc{tag: "org", summary: "Seats by status and source", resp: "Usage"}, h.usage},
		{get, "/audit", permRead, false, opDoc{tag: "org", summary: "The audit log, newest first", resp: "AuditPage",
			query: []string{"actor", "action", "targetKind", "target", "from", "to", "limit", "cursor"}}, h.listAudit},
	}
}
