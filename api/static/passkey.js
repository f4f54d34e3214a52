/* Passkeys with navigator.credentials: registration, second factor, passwordless sign-in.
   Buttons carry their endpoints and CSRF token in data-* attributes; no framework. */
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;
  function b64u(buf) {
    var s = "", bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function bytes(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var raw = atob(s), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }
  function post(url, body, csrf) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.detail || r.status); return j; });
    });
  }
  function asJson(c) {
    var r = c.response, o = {id: c.id, rawId: b64u(c.rawId), type: c.type,
      clientExtensionResults: c.getClientExtensionResults(), response: {clientDataJSON: b64u(r.clientDataJSON)}};
    if (c.authenticatorAttachment) o.authenticatorAttachment = c.authenticatorAttachment;
    if (r.attestationObject) {
      o.response.attestationObject = b64u(r.attestationObject);
      o.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      o.response.authenticatorData = b64u(r.authenticatorData);
      o.response.signature = b64u(r.signature);
      if (r.userHandle) o.response.userHandle = b64u(r.userHandle);
    }
    return o;
  }
  function ceremony(btn) {
    var d = btn.dataset, mode = d.passkey, status = document.getElementById("passkey-status");
    var handle;
    btn.disabled = true;
    post(d.optionsUrl, {mode: mode}, d.csrf).then(function (start) {
      var o = start.options;
      handle = start.handle;
      o.challenge = bytes(o.challenge);
      if (mode === "register") {
        o.user.id = bytes(o.user.id);
        (o.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
        return navigator.credentials.create({publicKey: o});
      }
      (o.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
      return navigator.credentials.get({publicKey: o});
    }).then(function (cred) {
      var name = document.getElementById("passkey-name");
      return post(d.verifyUrl, {handle: handle, credential: asJson(cred), mode: mode,
        interaction: d.interaction || "", next: d.next || "", name: name ? name.value : ""}, d.csrf);
    }).then(function (done) {
      window.location.assign(done.redirect);
    }).catch(function () {
      btn.disabled = false;
      if (status) { status.textContent = d.errorText; status.hidden = false; }
    });
  }
  var buttons = document.querySelectorAll("[data-passkey]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function (e) { ceremony(e.currentTarget); });
  }
})();
