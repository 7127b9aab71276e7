// Assignments page: drag a rule row to reorder the rules (HTML5 drag and drop). Keyboard and
// no-JavaScript users have the Move up / Move down buttons, which do the same through the server.
// Dropping fills the hidden reorder form with the new order and submits it: the server answers
// with the preview of the change ("N teammates change signature"), which the admin confirms.
(function () {
  "use strict";

  function rows(body) {
    return Array.prototype.slice.call(body.querySelectorAll("tr[data-rule-id]"));
  }

  function setUp(body) {
    var form = document.getElementById(body.getAttribute("data-reorder-form"));
    if (!form || rows(body).length < 2) { return; }
    var order = form.querySelector('input[name="order"]');
    var dragged = null;
    var initial = rows(body).map(function (row) { return row.getAttribute("data-rule-id"); }).join(",");

    rows(body).forEach(function (row) {
      row.setAttribute("draggable", "true");
      row.title = "Drag to change the order";
    });

    body.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("tr[data-rule-id]");
      if (!dragged) { return; }
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.getAttribute("data-rule-id"));
    });

    body.addEventListener("dragover", function (event) {
      var over = event.target.closest("tr[data-rule-id]");
      if (!dragged || !over || over === dragged) { return; }
      event.preventDefault();  // allow the drop
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      body.insertBefore(dragged, after ? over.nextSibling : over);
    });

    body.addEventListener("drop", function (event) {
      if (dragged) { event.preventDefault(); }
    });

    body.addEventListener("dragend", function () {
      if (!dragged) { return; }
      dragged = null;
      var ids = rows(body).map(function (row) { return row.getAttribute("data-rule-id"); }).join(",");
      if (ids === initial) { return; }
      order.value = ids;
      form.submit();  // a plain POST: the preview page comes back, nothing is saved yet
    });
  }

  function start() {
    var bodies = document.querySelectorAll("tbody[data-reorder-form]");
    Array.prototype.forEach.call(bodies, setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
