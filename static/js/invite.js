// An invitation link is /invite#TOKEN: the fragment never reaches a server (or its logs). Post the
// token to /invite, which keeps it in the session and moves on to a clean address. No inline script:
// the CSP forbids it.
(function () {
  "use strict";

  function openInvitation() {
    var token = window.location.hash.slice(1);
    var form = document.getElementById("invite-form");
    var field = document.getElementById("invite-token");
    if (!token || !form || !field) { return; }
    // Drop the token from the address bar and history before anything else can read or keep it.
    window.history.replaceState(null, "", window.location.pathname);
    field.value = decodeURIComponent(token);
    form.style.display = "none";  // CSSOM, which the CSP allows (unlike a style attribute)
    var opening = document.getElementById("invite-opening");
    if (opening) { opening.hidden = false; }
    form.submit();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", openInvitation);
  } else {
    openInvitation();
  }
})();
