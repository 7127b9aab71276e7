// The private signature page: "Copy signature" puts the signature on the clipboard as rich HTML
// (with a plain-text alternative), so pasting into Gmail, Outlook or Apple Mail keeps its layout.
// Without JavaScript the button stays hidden and the page says how to select and copy by hand.
// No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  var COPIED = "Copied. Now paste it into your mail app's signature settings (steps below).";
  var SELECTED = "Your browser didn't let this page copy. The signature is selected: " +
    "press Ctrl+C (⌘C on a Mac) to copy it.";

  function say(message) {
    var status = document.getElementById("copy-status");
    if (status) { status.textContent = message; }
  }

  function selectRegion(region) {
    var range = document.createRange();
    range.selectNodeContents(region);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Older browsers (or an insecure origin): copy the selected rendering, which browsers put on the
  // clipboard as HTML too. The selection stays, so the reader can press Ctrl+C if this fails.
  function copyBySelection(region) {
    selectRegion(region);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    say(copied ? COPIED : SELECTED);
  }

  // https://developer.mozilla.org/docs/Web/API/Clipboard/write
  function copyRich(region, text) {
    var html = region.innerHTML;
    var item = new window.ClipboardItem({
      "text/html": new Blob([html], { type: "text/html" }),
      "text/plain": new Blob([text], { type: "text/plain" })
    });
    return navigator.clipboard.write([item]);
  }

  function start() {
    var button = document.getElementById("copy-signature");
    var region = document.getElementById("signature-copy");
    if (!button || !region) { return; }
    var textField = document.getElementById("signature-text");
    var text = textField ? textField.value : region.innerText;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && navigator.clipboard.write && window.ClipboardItem && window.isSecureContext) {
        copyRich(region, text).then(function () { say(COPIED); }, function () { copyBySelection(region); });
      } else {
        copyBySelection(region);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
