// Progressive enhancement for the feedback form: answer without leaving the page, ask for
// a reason only after "No". Without this script the form works as a plain POST.
"use strict";
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector(".feedback-form");
  if (!form || !window.fetch || !window.FormData) return;
  var status = document.querySelector(".feedback .answer");
  var reasonBox = form.querySelector(".reason");
  var reason = form.querySelector("textarea[name=reason]");
  var buttons = form.querySelectorAll(".choices button");
  var pressedNo = false;
  buttons.forEach(function (b) { if (b.value === "no" && b.getAttribute("aria-pressed") === "true") pressedNo = true; });
  if (reasonBox && !pressedNo) reasonBox.hidden = true;

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter) return; // an old browser: let the plain POST happen
    event.preventDefault();
    var useful = submitter.value;
    var data = new FormData(form);
    data.set("useful", useful);
    if (useful === "yes") data.set("reason", "");
    else if (submitter.classList.contains("send-reason") === false && reasonBox && reasonBox.hidden) data.set("reason", "");
    fetch(form.action, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
                         headers: { "Accept": "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (!result.ok) { status.textContent = result.body.detail || "Your answer could not be saved."; return; }
        buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.value === useful)); });
        var text = "Your answer: " + (result.body.useful ? "Yes" : "No");
        if (result.body.reason) text += " (\u201c" + result.body.reason + "\u201d)";
        status.textContent = text + ". Thank you. You can change it.";
        if (reasonBox) {
          reasonBox.hidden = useful !== "no";
          if (useful === "no" && !submitter.classList.contains("send-reason")) reason.focus();
        }
      })
      .catch(function () { status.textContent = "Your answer could not be saved; try again."; });
  });
});

// Citation popovers: the cited source sentence shows above its chip (beside or below only
// when there is no room above), so it never covers the lines that follow. It opens on hover
// and on keyboard focus, stays while the pointer is over it, and closes with Esc, a click or
// tap elsewhere, or when focus moves on. On a touch screen the first tap on a chip opens it
// and a second tap follows the link to the source sentence.
document.addEventListener("DOMContentLoaded", function () {
  var chips = document.querySelectorAll("a.cite");
  if (!chips.length) return;
  var open = null; // { chip, tip }
  var closeTimer = null;
  var lastPointer = "mouse";
  var GAP = 8, MARGIN = 8;

  function tipOf(chip) { return document.getElementById(chip.getAttribute("aria-describedby")); }

  function place(chip, tip) {
    var viewport = document.documentElement.clientWidth;
    var width = Math.min(352, viewport - 2 * MARGIN);
    tip.style.width = width + "px";
    tip.style.left = "0px"; tip.style.top = "0px"; tip.style.bottom = "auto";
    var parent = tip.offsetParent || document.body;
    var origin = parent.getBoundingClientRect();
    var at = chip.getBoundingClientRect();
    var height = tip.offsetHeight;
    var left = Math.max(MARGIN, Math.min(at.left + at.width / 2 - width / 2, viewport - width - MARGIN));
    var top = at.top - GAP - height, side = "above";
    if (top < MARGIN) {
      // no room above: beside the chip when there is room there, else below its line
      if (viewport - at.right - GAP - MARGIN >= width) { left = at.right + GAP; top = Math.max(MARGIN, at.top); side = "beside"; }
      else { top = at.bottom + GAP; side = "below"; }
    }
    tip.style.left = (left - origin.left) + "px";
    tip.style.top = (top - origin.top) + "px";
    tip.setAttribute("data-side", side);
  }

  function show(chip) {
    clearTimeout(closeTimer);
    if (open && open.chip === chip) return;
    hide();
    var tip = tipOf(chip);
    if (!tip) return;
    tip.classList.add("open");
    chip.setAttribute("aria-expanded", "true");
    place(chip, tip);
    open = { chip: chip, tip: tip };
  }

  function hide() {
    clearTimeout(closeTimer);
    if (!open) return;
    open.tip.classList.remove("open");
    open.chip.setAttribute("aria-expanded", "false");
    open = null;
  }

  function hideSoon() { clearTimeout(closeTimer); closeTimer = setTimeout(hide, 250); }

  chips.forEach(function (chip) {
    var tip = tipOf(chip);
    chip.setAttribute("aria-expanded", "false");
    if (tip && !tip.querySelector(".cite-hint")) {
      var hint = document.createElement("span");
      hint.className = "cite-hint";
      hint.textContent = "Select the number again to read it in the source.";
      hint.hidden = true;
      tip.appendChild(hint);
    }
    chip.addEventListener("pointerdown", function (e) { lastPointer = e.pointerType || "mouse"; });
    chip.addEventListener("mouseenter", function () { if (lastPointer !== "touch") show(chip); });
    chip.addEventListener("mouseleave", hideSoon);
    chip.addEventListener("focus", function () { if (lastPointer !== "touch") show(chip); });
    chip.addEventListener("blur", function () { if (lastPointer !== "touch") hideSoon(); });
    chip.addEventListener("click", function (e) {
      if (lastPointer === "touch" && !(open && open.chip === chip)) {
        e.preventDefault(); // first tap: show the sentence; a second tap follows the link
        show(chip);
        var hint = tipOf(chip).querySelector(".cite-hint");
        if (hint) { hint.hidden = false; place(chip, tipOf(chip)); }
      }
      lastPointer = "mouse";
    });
    if (tip) {
      tip.addEventListener("mouseenter", function () { clearTimeout(closeTimer); });
      tip.addEventListener("mouseleave", hideSoon);
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && open) { hide(); }
  });
  document.addEventListener("pointerdown", function (e) {
    if (!open) return;
    if (open.chip.contains(e.target) || open.tip.contains(e.target)) return;
    hide();
  });
  window.addEventListener("resize", function () { if (open) place(open.chip, open.tip); });
});

// The theme: the system's (light or dark) unless the reader chooses one here; kept in
// localStorage and applied before drawing by theme.js, on every page and on /docs.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector(".theme");
  var select = document.getElementById("theme");
  if (!box || !select) return;
  var root = document.documentElement;
  function stored() {
    try { return window.localStorage.getItem("sb-theme"); } catch (e) { return null; }
  }
  function apply(theme) {
    if (theme === "light" || theme === "dark") root.setAttribute("data-theme", theme);
    else root.removeAttribute("data-theme");
    select.value = theme === "light" || theme === "dark" ? theme : "system";
  }
  apply(stored());
  box.hidden = false;
  select.addEventListener("change", function () {
    try {
      if (select.value === "system") window.localStorage.removeItem("sb-theme");
      else window.localStorage.setItem("sb-theme", select.value);
    } catch (e) { /* storage refused: this page only */ }
    apply(select.value);
  });
  // another tab chose: follow it
  window.addEventListener("storage", function (e) { if (e.key === "sb-theme") apply(e.newValue); });
});

// Keyboard shortcuts, as in feed readers: j / k next and previous story, / search, ? the list
// of shortcuts. One-key shortcuts can be turned off there (WCAG 2.1.4); they never act while
// the reader types in a field or holds a modifier key.
document.addEventListener("DOMContentLoaded", function () {
  var dialog = document.getElementById("shortcuts");
  var toggle = document.getElementById("shortcuts-on");
  var search = document.getElementById("q");
  var LIST = "main .stories > li, main .articles > li";
  var current = -1;

  function enabled() {
    try { return window.localStorage.getItem("sb-shortcuts") !== "off"; } catch (e) { return true; }
  }
  function entries() { return Array.prototype.slice.call(document.querySelectorAll(LIST)); }
  function linkOf(entry) { return entry.querySelector("h2 a, h3 a, a"); }

  // The list a reader came from, so that j / k on a story's page go on to its neighbours.
  var items = entries();
  if (items.length) {
    var urls = items.map(function (e) { var a = linkOf(e); return a ? a.pathname : null; })
      .filter(function (u) { return u && u.indexOf("/stories/") === 0; });
    if (urls.length) { try { window.sessionStorage.setItem("sb-list", JSON.stringify(urls)); } catch (e) { /* ignore */ } }
  }

  function choose(step) {
    var all = entries();
    if (!all.length) return neighbour(step);
    if (current < 0) {
      var focused = all.findIndex(function (e) { return e.contains(document.activeElement); });
      current = focused >= 0 ? focused : (step > 0 ? -1 : all.length);
    }
    current = Math.max(0, Math.min(all.length - 1, current + step));
    all.forEach(function (e, i) { e.classList.toggle("current", i === current); });
    var link = linkOf(all[current]);
    if (link) { link.focus({ preventScroll: true }); all[current].scrollIntoView({ block: "nearest" }); }
  }

  function neighbour(step) {
    var list = null;
    try { list = JSON.parse(window.sessionStorage.getItem("sb-list") || "null"); } catch (e) { list = null; }
    if (!Array.isArray(list)) return;
    var at = list.indexOf(window.location.pathname);
    if (at < 0) return;
    var next = list[at + step];
    if (next) window.location.assign(next);
  }

  function open() {
    if (!dialog || dialog.open) return;
    if (toggle) toggle.checked = enabled();
    if (typeof dialog.showModal === "function") dialog.showModal(); else dialog.setAttribute("open", "");
  }

  if (dialog) {
    var link = document.querySelector(".shortcuts-link");
    if (link) link.hidden = false;
    document.querySelectorAll('[data-opens="shortcuts"]').forEach(function (b) { b.addEventListener("click", open); });
    var close = dialog.querySelector(".close");
    if (close) close.addEventListener("click", function () { dialog.close(); });
    if (toggle) toggle.addEventListener("change", function () {
      try { window.localStorage.setItem("sb-shortcuts", toggle.checked ? "on" : "off"); } catch (e) { /* ignore */ }
    });
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    var target = e.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (dialog && dialog.open) return; // the dialog has the keyboard (Esc closes it)
    if (!enabled()) return;
    if (e.key === "j") { e.preventDefault(); choose(1); }
    else if (e.key === "k") { e.preventDefault(); choose(-1); }
    else if (e.key === "/" && search) { e.preventDefault(); search.focus(); search.select(); }
    else if (e.key === "?") { e.preventDefault(); open(); }
  });
});
