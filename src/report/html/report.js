// envparity HTML report: the findings filters, and folded tables unfolded for printing.
// Without this script the page shows everything and no control that would do nothing.
(function () {
  "use strict";
  var form = document.getElementById("finding-filters");
  var table = document.getElementById("findings-table");
  if (form && table && table.tBodies.length) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
    var shown = document.getElementById("findings-shown");
    var apply = function () {
      var count = 0;
      rows.forEach(function (row) {
        var visible = selects.every(function (s) {
          return s.value === "" || row.getAttribute("data-" + s.name) === s.value;
        });
        row.hidden = !visible;
        if (visible) { count += 1; }
      });
      shown.textContent = "Showing " + count + " of " + rows.length + " findings.";
    };
    selects.forEach(function (s) { s.addEventListener("change", apply); });
    form.addEventListener("reset", function () { setTimeout(apply, 0); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.hidden = false;
    apply();
  }
  var unfolded = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.open = true;
      unfolded.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    unfolded.forEach(function (d) { d.open = false; });
    unfolded = [];
  });
})();
