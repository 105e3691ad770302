// Decoupled: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // After htmx swaps a boosted page in, move keyboard focus to the new page's main heading
  // (or the main landmark), as a full page load would, and keep the document title right.
  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    if (!detail.boosted) return;
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    var heading = target || document.querySelector("main h1") || document.getElementById("main");
    if (!heading) return;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
    heading.scrollIntoView({ block: "start" });
  });
})();
