// The template editor's toolbar: insert a smart field, an "if not empty" condition or a phone link
// (its href in E.164 with the |tel filter), at the cursor.
// Without JavaScript the page lists the placeholders as text to copy instead.
(function () {
  "use strict";

  function editor() { return document.getElementById("template-html"); }

  // Tell htmx (hx-trigger "input changed ... from:#template-html") that the text changed.
  function changed(area) {
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function insertAtCursor(area, text) {
    var start = area.selectionStart, end = area.selectionEnd;
    area.setRangeText(text, start, end, "end");
    area.focus();
    changed(area);
  }

  // Wraps the selection (or, with none, the current line) in {% if key %}...{% endif %}.
  function wrapInCondition(area, key) {
    var value = area.value, start = area.selectionStart, end = area.selectionEnd;
    if (start === end) {
      start = value.lastIndexOf("\n", start - 1) + 1;
      var lineEnd = value.indexOf("\n", end);
      end = lineEnd === -1 ? value.length : lineEnd;
    }
    var inner = value.slice(start, end);
    var wrapped = "{% if " + key + " %}" + inner + "{% endif %}";
    area.setRangeText(wrapped, start, end, "end");
    area.focus();
    changed(area);
  }

  function setUp() {
    var toolbar = document.getElementById("field-toolbar");
    var list = document.getElementById("field-list");
    if (!toolbar || !editor()) { return; }
    toolbar.hidden = false;
    if (list) { list.hidden = true; }
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) { return; }
      if (button.hasAttribute("data-insert")) {
        insertAtCursor(editor(), button.getAttribute("data-insert"));
      } else if (button.hasAttribute("data-conditional")) {
        var select = document.getElementById("conditional-field");
        if (select && select.value) { wrapInCondition(editor(), select.value); }
      } else if (button.hasAttribute("data-phone-link")) {
        var chosen = document.getElementById("conditional-field");
        if (chosen && chosen.value) {
          var key = chosen.value;
          insertAtCursor(editor(), "{% if " + key + "|tel %}<a href=\"tel:{{ " + key + "|tel }}\">{{ " + key +
            " }}</a>{% else %}{{ " + key + " }}{% endif %}");
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
