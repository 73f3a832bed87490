package admin

import "net/http"

// table is every route of the API. The OpenAPI document is built from it.
func (h *handler) table() []route {
	get, post, put, patch, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	return []route{
		{get, "/openapi.json", permPublic, false, opDoc{tag: "meta", summary: "This document"}, manualRoute[noBody, openAPIDocument](h.openapi)},

		{post, "/auth/login", permPublic, true, opDoc{tag: "auth", summary: "Log in with email and password"}, jsonRoute(h, h.login)},
		{post, "/auth/mfa", permPending, true, opDoc{tag: "auth", summary: "Complete a login with a TOTP or recovery code"}, jsonRoute(h, h.verifyMFA)},
		{post, "/auth/logout", permPending, false, opDoc{tag: "auth", summary: "End the current session", status: 204}, jsonRoute(h, h.logout)},
		{post, "/auth/password/forgot", permPublic, true, opDoc{tag: "auth", summary: "Email a password reset link", status: 202}, jsonRoute(h, h.forgotPassword)},
		{post, "/auth/password/set", permPublic, true, opDoc{tag: "auth", summary: "Set a password through a one-time link"}, jsonRoute(h, h.setPassword)},
		{get, "/auth/sso/{org}/start", permPublic, true, opDoc{tag: "auth", summary: "Start single sign-on for an organization (redirects)", status: 302}, manualRoute[noBody, redirect](h.startSSO)},
		{get, "/auth/sso/discover", permPublic, true, opDoc{tag: "auth", summary: "Start single sign-on for the organization that verified an email's domain (redirects)", status: 302, query: []string{"email"}}, manualRoute[noBody, redirect](h.discoverSSO)},
		{get, "/auth/sso/callback", permPublic, true, opDoc{tag: "auth", summary: "Single sign-on callback (redirects home)", status: 303, query: []string{"code", "state", "error"}}, manualRoute[noBody, redirect](h.ssoCallback)},

		{get, "/me", permSelf, false, opDoc{tag: "me", summary: "Your profile"}, jsonRoute(h, h.me)},
		{patch, "/me", permSelf, false, opDoc{tag: "me", summary: "Edit your profile"}, jsonRoute(h, h.patchMe)},
		{post, "/me/password", permSelf, true, opDoc{tag: "me", summary: "Change your password", status: 204}, jsonRoute(h, h.changePassword)},
		{get, "/me/mfa", permSelf, false, opDoc{tag: "me", summary: "Your second factor"}, jsonRoute(h, h.myMFA)},
		{post, "/me/mfa/totp", permPending, true, opDoc{tag: "me", summary: "Start TOTP enrolment (also at the enrol stage of a login)"}, jsonRoute(h, h.beginEnrolment)},
		{post, "/me/mfa/totp/confirm", permPending, true, opDoc{tag: "me", summary: "Confirm TOTP enrolment with a first code"}, jsonRoute(h, h.confirmEnrolment)},
		{post, "/me/mfa/recovery-codes", permSelf, true, opDoc{tag: "me", summary: "Replace your recovery codes"}, jsonRoute(h, h.newRecoveryCodes)},
		{get, "/me/tokens", permSelf, false, opDoc{tag: "me", summary: "Your personal API tokens"}, jsonRoute(h, h.listAPITokens)},
		{post, "/me/tokens", permSelf, true, opDoc{tag: "me", summary: "Create a personal API token (shown once)", status: 201}, jsonRoute(h, h.createAPIToken)},
		{del, "/me/tokens/{id}", permSelf, false, opDoc{tag: "me", summary: "Revoke a personal API token", status: 204}, jsonRoute(h, h.revokeAPIToken)},

		{get, "/users", permRead, false, opDoc{tag: "users", summary: "List and search users",
			query: []string{"q", "status", "role", "source", "sort", "order", "limit", "cursor"}}, jsonRoute(h, h.listUsers)},
		{post, "/users", permWrite, false, opDoc{tag: "users", summary: "Create a user", status: 201}, jsonRoute(h, h.createUser)},
		{post, "/users/bulk", permWrite, false, opDoc{tag: "users", summary: "Create many users, row by row"}, jsonRoute(h, h.createUsers)},
		{post, "/users/delete", permWrite, false, opDoc{tag: "users", summary: "Soft-delete many users"}, jsonRoute(h, h.deleteUsers)},
		{get, "/users/{id}", permRead, false, opDoc{tag: "users", summary: "One user in full"}, jsonRoute(h, h.getUser)},
		{patch, "/users/{id}", permWrite, false, opDoc{tag: "users", summary: "Edit a user (an empty password keeps it)"}, jsonRoute(h, h.patchUser)},
		{del, "/users/{id}", permWrite, false, opDoc{tag: "users", summary: "Soft-delete a user"}, jsonRoute(h, h.deleteUser)},
		{post, "/users/{id}/role", permWrite, false, opDoc{tag: "users", summary: "Change a user's role"}, jsonRoute(h, h.setRole)},
		{post, "/users/{id}/suspend", permWrite, false, opDoc{tag: "users", summary: "Ban a user; its sessions end"}, jsonRoute(h, h.suspend)},
		{post, "/users/{id}/reactivate", permWrite, false, opDoc{tag: "users", summary: "Validate or reactivate a user"}, jsonRoute(h, h.reactivate)},
		{post, "/users/{id}/unlock", permWrite, false, opDoc{tag: "users", summary: "Unlock a locked user, optionally with a new password"}, jsonRoute(h, h.unlock)},
		{post, "/users/{id}/reset-password", permWrite, false, opDoc{tag: "users", summary: "Email a password link", status: 202}, jsonRoute(h, h.resetPassword)},
		{post, "/users/{id}/restore", permWrite, false, opDoc{tag: "users", summary: "Restore a deleted user"}, jsonRoute(h, h.restoreUser)},
		{post, "/users/{id}/mfa", permWrite, false, opDoc{tag: "users", summary: "Require TOTP of a user, or stop requiring it"}, jsonRoute(h, h.requireMFA)},
		{del, "/users/{id}/mfa", permWrite, false, opDoc{tag: "users", summary: "Reset a user's TOTP and recovery codes"}, jsonRoute(h, h.resetMFA)},

		{get, "/org", permRead, false, opDoc{tag: "org", summary: "The organization and its security settings"}, jsonRoute(h, h.getOrg)},
		{patch, "/org/settings", permWrite, false, opDoc{tag: "org", summary: "Change security settings"}, jsonRoute(h, h.patchSettings)},
		{put, "/org/domains", permWrite, false, opDoc{tag: "org", summary: "Replace the email domains"}, jsonRoute(h, h.putDomains)},
		{get, "/org/domains", permRead, false, opDoc{tag: "org", summary: "The email domains and their verification"}, jsonRoute(h, h.listDomains)},
		{post, "/org/domains", permWrite, false, opDoc{tag: "org", summary: "List a new, unverified email domain", status: 201}, jsonRoute(h, h.addDomain)},
		{del, "/org/domains/{domain}", permWrite, false, opDoc{tag: "org", summary: "Remove an email domain", status: 204}, jsonRoute(h, h.removeDomain)},
		{post, "/org/domains/{domain}/verify", permWrite, false, opDoc{tag: "org", summary: "Verify a domain by its DNS TXT record, now"}, jsonRoute(h, h.verifyDomain)},
		{post, "/org/domains/{domain}/primary", permWrite, false, opDoc{tag: "org", summary: "Make a domain the primary one"}, jsonRoute(h, h.makePrimaryDomain)},
		{get, "/org/role-mappings", permRead, false, opDoc{tag: "org", summary: "How SCIM role values map to Roster roles"}, jsonRoute(h, h.getRoleMappings)},
		{put, "/org/role-mappings", permWrite, false, opDoc{tag: "org", summary: "Replace the mappings of SCIM role values to Roster roles"}, jsonRoute(h, h.putRoleMappings)},
		{get, "/org/properties", permRead, false, opDoc{tag: "org", summary: "Custom user property definitions"}, jsonRoute(h, h.listProperties)},
		{post, "/org/properties", permWrite, false, opDoc{tag: "org", summary: "Define a custom user property", status: 201}, jsonRoute(h, h.createProperty)},
		{patch, "/org/properties/{key}", permWrite, false, opDoc{tag: "org", summary: "Edit a property's label or requirement"}, jsonRoute(h, h.patchProperty)},
		{del, "/org/properties/{key}", permWrite, false, opDoc{tag: "org", summary: "Remove a property definition"}, jsonRoute(h, h.deleteProperty)},
		{get, "/org/sso", permRead, false, opDoc{tag: "org", summary: "Single sign-on settings"}, jsonRoute(h, h.getSSO)},
		{put, "/org/sso", permWrite, false, opDoc{tag: "org", summary: "Set single sign-on (OIDC) settings"}, jsonRoute(h, h.putSSO)},
		{del, "/org/sso", permWrite, false, opDoc{tag: "org", summary: "Remove single sign-on", status: 204}, jsonRoute(h, h.deleteSSO)},
		{get, "/org/scim-tokens", permRead, false, opDoc{tag: "org", summary: "SCIM tokens (never their secrets)"}, jsonRoute(h, h.listSCIMTokens)},
		{post, "/org/scim-tokens", permWrite, true, opDoc{tag: "org", summary: "Create a SCIM token (shown once)", status: 201}, jsonRoute(h, h.createSCIMToken)},
		{del, "/org/scim-tokens/{id}", permWrite, false, opDoc{tag: "org", summary: "Revoke a SCIM token", status: 204}, jsonRoute(h, h.revokeSCIMToken)},
		{get, "/org/usage", permUsage, false, opDoc{tag: "org", summary: "Seats by status and source"}, jsonRoute(h, h.usage)},
		{get, "/audit", permRead, false, opDoc{tag: "org", summary: "The audit log, newest first",
			query: []string{"actor", "action", "targetKind", "target", "from", "to", "limit", "cursor"}}, jsonRoute(h, h.listAudit)},
	}
}
