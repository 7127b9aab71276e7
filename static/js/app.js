// Signet's small client-side layer. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Every htmx request carries the CSRF token in a header; a global listener also covers
  // elements swapped in later (PITFALLS 5.1, https://htmx.org/events/#htmx:configRequest).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  function showNotice(message, kind) {
    var area = document.getElementById("flash");
    if (!area) { return; }
    var notice = document.createElement("div");
    notice.className = "notice notice-" + (kind || "error");
    notice.setAttribute("role", "alert");
    notice.textContent = message;  // textContent: never interpret server or network text as HTML
    area.replaceChildren(notice);
  }
  window.signetNotice = showNotice;

  // Our error responses retarget themselves to #flash (HX-Retarget). Anything else that fails
  // (a proxy's 502, a dropped connection) still gets a readable message.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Retarget")) { return; }
    showNotice("The server answered " + (xhr ? xhr.status : "with an error") +
      ". Nothing was changed; try again in a moment.");
  });
  document.addEventListener("htmx:sendError", function () {
    showNotice("Signet could not be reached. Check your connection and try again.");
  });

  // Copy buttons: <button data-copy-target="#input-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy-target"));
    if (!source) { return; }
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { source.select(); });
    } else if (source.select) {
      source.select();
      document.execCommand("copy");
      done();
    }
  });
})();
