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
