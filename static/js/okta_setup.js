// "Connect Okta" as a popup: open it, wait for the callback page's message, refresh the wizard.
// Without JavaScript the same link opens in a new tab and the callback page says what happened.
(function () {
  "use strict";
  var popup = null;
  var heardBack = false;
  var timer = null;
  var link = null;

  function refreshWizard(url, method) {
    if (!window.htmx) { window.location.assign(url); return; }
    htmx.ajax(method, url, { target: "#okta-wizard", swap: "outerHTML" });
  }

  function finished() {
    if (timer) { clearInterval(timer); timer = null; }
    var waiting = document.getElementById("connect-waiting");
    if (waiting) { waiting.hidden = true; }
  }

  window.addEventListener("message", function (event) {
    // Only our own callback page, in the window we opened, may report (https://developer.mozilla.org/docs/Web/API/Window/postMessage#security_concerns).
    if (event.origin !== window.location.origin || !popup || event.source !== popup) { return; }
    if (!event.data || event.data.type !== "signet:okta-connect") { return; }
    heardBack = true;
    finished();
    refreshWizard(link.dataset.wizardUrl, "GET");
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("a[data-okta-connect]");
    if (!target) { return; }
    event.preventDefault();
    link = target;
    heardBack = false;
    popup = window.open(target.href, "signet-okta", "popup,width=520,height=720");
    if (!popup) { window.location.assign(target.href); return; }  // popup blocked: use this tab
    var waiting = document.getElementById("connect-waiting");
    if (waiting) { waiting.hidden = false; }
    if (timer) { clearInterval(timer); }
    timer = setInterval(function () {
      if (!popup.closed) { return; }
      finished();
      if (!heardBack) { refreshWizard(link.dataset.popupClosedUrl, "POST"); }
    }, 400);
  });
})();

// After the wizard region is swapped (a new step, or the connection card), move focus to its heading,
// so keyboard and screen-reader users land on what changed (https://htmx.org/events/#htmx:afterSettle).
document.addEventListener("htmx:afterSettle", function (event) {
  "use strict";
  if (!event.target || event.target.id !== "okta-wizard") { return; }
  var heading = document.getElementById("wizard-step-title") || document.getElementById("okta-connection-title");
  if (heading) { heading.focus(); }
});
