// Starts Swagger UI on /docs (a file, not an inline script: the CSP allows only our own), and
// fills two gaps it leaves for keyboard and screen-reader users as it renders: copy buttons
// without a name, and scrolling code blocks that cannot be reached with the keyboard.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    domNode: root,
    deepLinking: false, // its links sit inside the operation buttons (nested controls)
    validatorUrl: null, // never ask an outside validator
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
  function mend() {
    root.querySelectorAll(".copy-to-clipboard > button:not([aria-label])").forEach(function (b) {
      b.setAttribute("aria-label", "Copy to clipboard");
    });
    root.querySelectorAll(".highlight-code > pre:not([tabindex]), .curl:not([tabindex])").forEach(function (p) {
      p.setAttribute("tabindex", "0");
    });
  }
  new MutationObserver(mend).observe(root, { childList: true, subtree: true });
});
