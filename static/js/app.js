// Decoupled: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  function focusElement(el) {
    if (!el) return;
    if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "start" });
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    if (detail.boosted) {
      // A boosted link or form brought in a whole page: focus its main heading, as a full
      // page load would put a screen reader at the top of the new page.
      var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
      focusElement(target || document.querySelector("main h1") || document.getElementById("main"));
      return;
    }
    // An answer was posted and its reveal swapped in place: move focus to the reveal so it is
    // read out. (Live playground updates over the WebSocket never move focus.)
    var config = detail.requestConfig;
    if (!config || config.verb !== "post") return;
    var swapped = document.getElementById(detail.target && detail.target.id) || detail.target;
    var reveal = swapped && swapped.querySelector ? swapped.querySelector("[data-focus-on-swap]") : null;
    if (reveal) focusElement(reveal);
  });
})();
