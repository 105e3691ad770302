// Decoupled playground: the small bits htmx's WebSocket extension does not do by itself.
// - Number every command (seq) and tag it with the connection it was made on (epoch); a
//   command queued while the socket was down is dropped instead of replayed later.
// - Show the connection state in words.
// - Keep keyboard focus, open <details> and values the learner has typed but not yet applied
//   when a fragment around them is replaced.
(function () {
  "use strict";
  var seq = 0;
  var epoch = 0;
  var open = false;

  function root() { return document.getElementById("pg-root"); }

  // A fragment bigger than one WebSocket frame arrives in numbered parts,
  // "<!--pg-part i/n-->" + a slice of it (playground/frames.py): join them, and let htmx
  // swap the whole fragment once the last part is there.
  var PART = "<!--pg-part ";
  var parts = [];
  if (window.htmx) {
    htmx.defineExtension("pg-parts", {
      transformResponse: function (text) {
        if (typeof text !== "string" || text.indexOf(PART) !== 0) return text;
        var end = text.indexOf("-->");
        var numbers = text.slice(PART.length, end).split("/");
        if (numbers[0] === "1") parts = [];
        parts.push(text.slice(end + 3));
        if (numbers[0] !== numbers[1]) return "";  // more to come: nothing to swap yet
        var whole = parts.join("");
        parts = [];
        return whole;
      }
    });
  }

  function setConn(state, text) {
    var el = document.getElementById("pg-conn");
    if (!el) return;
    el.dataset.state = state;
    var r = root();
    if (r) r.dataset.conn = state;  // the view below is dimmed while it is not live
    el.querySelector(".conn-text").textContent = text;
  }

  document.addEventListener("htmx:wsConnecting", function () {
    setConn("connecting", "Connecting to the simulation…");
  });
  // "Live" once the run itself has arrived (the first message after the socket opens), not
  // when the socket opens: until then the page shows what the HTTP response had.
  var synced = false;
  document.addEventListener("htmx:wsOpen", function () {
    epoch += 1;
    open = true;
    synced = false;
    setConn("connecting", "Connected: loading your run…");
  });
  var elsewhere = false;
  var ELSEWHERE = "This run is now live in another tab. Use “Continue here” (or reload) to run it in this one.";
  document.addEventListener("htmx:wsClose", function (event) {
    open = false;
    var code = event.detail && event.detail.event ? event.detail.event.code : 0;
    if (code === 4409) {  // the server handed this run to another tab: it does not retry
      elsewhere = true;
      setConn("elsewhere", "This run is now live in another tab, with every change you made here. ");
      var text = document.querySelector("#pg-conn .conn-text");
      if (text) {
        var again = document.createElement("a");
        again.href = window.location.pathname;
        again.textContent = "Continue here";
        text.appendChild(again);
      }
      return;
    }
    if (code === 4404 || code === 4410) {  // refused for good: retrying would not help
      setConn("closed", code === 4410
        ? "This run no longer exists: your progress was reset. Reload the page to start again."
        : "This simulation could not be opened. Reload the page to try again.");
      return;
    }
    if (code === 1011) {  // the server failed opening or running this run, and logged it
      setConn("closed", "The server hit an error with this run (it was logged): trying again in a moment…");
      return;
    }
    setConn("closed", "Disconnected: reconnecting… (every change you make is saved as you make it)");
  });

  function notify(text) {
    var notice = document.getElementById("pg-notice");
    if (notice) notice.textContent = text;
  }

  document.addEventListener("htmx:wsConfigSend", function (event) {
    if (!open) {  // not sent (and not queued to replay later): say so at once
      event.preventDefault();
      notify(elsewhere ? ELSEWHERE : "Not connected: that command was not sent. Try it again once it says Live.");
      return;
    }
    var action = event.detail.parameters.action;
    if (action === "story") {  // the story panel may be far below: take the learner there
      storyWanted = true;
      storyOpener = event.target && event.target.id ? event.target.id : null;
    } else if (action === "close_story") {
      storyClosing = true;
    }
    seq += 1;
    event.detail.parameters.seq = seq;
    event.detail.parameters.epoch = open ? epoch : -1;
  });

  document.addEventListener("htmx:wsBeforeSend", function (event) {
    try {
      var sent = JSON.parse(event.detail.message);
      if (sent.epoch !== epoch) {
        event.preventDefault();
        notify("A command made while disconnected was not sent. Try it again now.");
      }
    } catch (e) { /* not ours */ }
  });

  // The value the server rendered into a field (what a reset of its form would give back).
  function serverValue(el) {
    if (el.tagName === "SELECT") {
      var chosen = Array.prototype.find.call(el.options, function (o) { return o.defaultSelected; });
      return chosen ? chosen.value : (el.options.length ? el.options[0].value : "");
    }
    return el.defaultValue;
  }

  var storyWanted = false;
  var storyClosing = false;
  var storyOpener = null;
  var storyArrived = false;
  var focusedId = null;
  var openDetails = [];
  var edits = [];  // fields typed into but not applied: [id, server value then, typed value]
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail && event.detail.message;
    storyArrived = typeof message === "string" && message.indexOf('id="pg-story"') >= 0;
    var active = document.activeElement;
    focusedId = active && active.id ? active.id : null;
    openDetails = Array.prototype.map.call(document.querySelectorAll("#pg-root details[open][id]"), function (d) { return d.id; });
    edits = [];
    document.querySelectorAll("#pg-root input[id]:not([type=hidden]), #pg-root select[id], #pg-root textarea[id]").forEach(function (el) {
      var was = serverValue(el);
      if (el.value !== was) edits.push([el.id, was, el.value]);
    });
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    if (open && !synced) {
      synced = true;
      setConn("open", "Live: connected to the simulation");
    }
    openDetails.forEach(function (id) {
      var d = document.getElementById(id);
      if (d) d.open = true;
    });
    // A re-rendered field gets the learner's unapplied edit back, unless the server's own
    // value for it changed meanwhile (then the new server value wins).
    edits.forEach(function (edit) {
      var el = document.getElementById(edit[0]);
      if (el && el.value !== edit[2] && serverValue(el) === edit[1]) el.value = edit[2];
    });
    if (focusedId && (document.activeElement === document.body || !document.activeElement)) {
      var el = document.getElementById(focusedId);
      if (el) el.focus({ preventScroll: true });
    }
    if (storyArrived && storyWanted) {
      storyWanted = false;
      var title = document.getElementById("story-title");
      if (title) {
        title.focus({ preventScroll: true });
        var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        title.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "start" });
      }
    } else if (storyArrived && storyClosing) {
      storyClosing = false;
      var opener = storyOpener && document.getElementById(storyOpener);
      var back = opener || document.getElementById("story-title");
      if (back) back.focus();
    }
    var share = document.getElementById("share-link");
    if (share && share.dataset.sharePath && share.value.indexOf("http") !== 0) {
      share.value = window.location.origin + share.dataset.sharePath;
      share.focus();
      share.select();
    }
  });
})();
