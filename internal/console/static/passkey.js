// Passkeys (WebAuthn) for Roster's console: registering one, using one as
// the second step of a login, and signing in with one alone. Elements say
// what they do with data-passkey="register" (a form with a name field),
// "mfa", "recovery" (new recovery codes) or "signin" (buttons); data-next is where to go afterwards,
// data-error the id of the element that shows what went wrong, and
// data-codes the id of the element that shows recovery codes the answer
// carries (shown once, before going on). The
// ceremonies go through Roster's JSON API under /api/v1, with the
// session cookie of the page.
(function () {
  "use strict";

  function fromB64(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      var d = { type: c.type, id: fromB64(c.id) };
      if (c.transports) d.transports = c.transports;
      return d;
    });
  }

  // creationOptions and requestOptions turn the JSON options into what
  // navigator.credentials wants: binary values as ArrayBuffers.
  function creationOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = fromB64(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: fromB64(pk.user.id) });
    pk.excludeCredentials = descriptors(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = fromB64(pk.challenge);
    pk.allowCredentials = descriptors(pk.allowCredentials);
    var out = { publicKey: pk };
    if (o.mediation) out.mediation = o.mediation;
    return out;
  }

  // credentialJSON is the PublicKeyCredential in WebAuthn's JSON form.
  function credentialJSON(c) {
    var r = c.response, resp = { clientDataJSON: toB64(r.clientDataJSON) };
    if (r.attestationObject) {
      resp.attestationObject = toB64(r.attestationObject);
      if (r.getTransports) resp.transports = r.getTransports();
    } else {
      resp.authenticatorData = toB64(r.authenticatorData);
      resp.signature = toB64(r.signature);
      if (r.userHandle) resp.userHandle = toB64(r.userHandle);
    }
    var out = { id: c.id, rawId: toB64(c.rawId), type: c.type, response: resp,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {} };
    if (c.authenticatorAttachment) out.authenticatorAttachment = c.authenticatorAttachment;
    return out;
  }

  function post(path, body) {
    return fetch("/api/v1" + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var msg = data && data.error && data.error.message;
          throw new Error(msg || "The request failed (" + res.status + ").");
        }
        return data;
      });
    });
  }

  function showError(el, err) {
    var box = document.getElementById(el.dataset.error || "");
    var msg = err && err.name === "NotAllowedError"
      ? "The passkey request was cancelled or timed out."
      : (err && err.message) || "Something went wrong.";
    if (box) {
      box.textContent = msg;
      box.hidden = false;
    }
    el.removeAttribute("aria-busy");
  }

  // showCodes shows recovery codes the server gave with a ceremony's
  // answer (a first second factor, or a renewal) in the element named by
  // data-codes, once, in place of the rest of the page; false when there
  // are none to show.
  function showCodes(el, codes) {
    var box = document.getElementById(el.dataset.codes || "");
    if (!box || !codes || !codes.length) return false;
    var list = box.querySelector("ul");
    list.textContent = "";
    codes.forEach(function (c) {
      var li = document.createElement("li"), code = document.createElement("code");
      code.textContent = c;
      li.appendChild(code);
      list.appendChild(li);
    });
    Array.prototype.forEach.call(box.parentNode.children, function (sib) {
      if (sib !== box) sib.hidden = true;
    });
    var kept = box.querySelector("a");
    if (kept) {
      kept.addEventListener("click", function (ev) {
        ev.preventDefault();
        go(el.dataset.next || kept.getAttribute("href"));
      });
    }
    box.hidden = false;
    box.scrollIntoView();
    el.removeAttribute("aria-busy");
    return true;
  }

  // go loads next, a path of this site: the page again when next differs
  // from it only by its #fragment (which alone would not reload it).
  function go(next) {
    next = /^\/(?!\/)/.test(next || "") ? next : "/home";
    var url = new URL(next, window.location.href);
    if (url.pathname === window.location.pathname && url.search === window.location.search) {
      window.location.hash = url.hash;
      window.location.reload();
      return;
    }
    window.location.assign(next);
  }

  function done(el) { go(el.dataset.next); }

  function register(form) {
    var name = form.querySelector("[name=name]");
    return post("/me/passkeys/options").then(function (data) {
      return navigator.credentials.create(creationOptions(data.options));
    }).then(function (cred) {
      return post("/me/passkeys", { name: name ? name.value : "", credential: credentialJSON(cred) });
    });
  }

  function assert(begin, finish, body) {
    return post(begin, body).then(function (data) {
      return navigator.credentials.get(requestOptions(data.options));
    }).then(function (cred) {
      return post(finish, Object.assign({}, body, { credential: credentialJSON(cred) }));
    });
  }

  function run(el, ceremony) {
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showError(el, new Error("This browser does not support passkeys."));
      return;
    }
    el.setAttribute("aria-busy", "true");
    ceremony().then(function (data) {
      if (!showCodes(el, data && data.recoveryCodes)) done(el);
    }, function (err) { showError(el, err); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-passkey=register]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        run(form, function () { return register(form); });
      });
    });
    document.querySelectorAll("[data-passkey=mfa]").forEach(function (el) {
      el.addEventListener("click", function (ev) {
        ev.preventDefault();
        run(el, function () { return assert("/auth/mfa/passkey/options", "/auth/mfa/passkey", {}); });
      });
    });
    document.querySelectorAll("[data-passkey=recovery]").forEach(function (el) {
      el.addEventListener("click", function (ev) {
        ev.preventDefault();
        run(el, function () {
          return post("/me/mfa/recovery-codes/passkey/options").then(function (data) {
            return navigator.credentials.get(requestOptions(data.options));
          }).then(function (cred) {
            return post("/me/mfa/recovery-codes", { factor: "passkey", credential: credentialJSON(cred) });
          });
        });
      });
    });
    document.querySelectorAll("[data-passkey=signin]").forEach(function (el) {
      el.addEventListener("click", function (ev) {
        ev.preventDefault();
        var body = el.dataset.org ? { org: el.dataset.org } : {};
        run(el, function () { return assert("/auth/passkey/options", "/auth/passkey", body); });
      });
    });
  });
})();
