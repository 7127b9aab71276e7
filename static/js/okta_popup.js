// Runs in the Okta popup after Signet's callback: tell the wizard (same origin only) and close.
(function () {
  "use strict";
  var result = document.getElementById("okta-popup-result");
  if (!result || !window.opener || window.opener.closed) { return; }
  try {
    window.opener.postMessage(
      { type: "signet:okta-connect", outcome: result.dataset.outcome, code: result.dataset.code },
      window.location.origin  // never tell another origin
    );
  } catch (error) {
    return;  // the opener navigated elsewhere: leave the "you can close this window" page up
  }
  window.close();
})();
