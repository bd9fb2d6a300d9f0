// The reader's theme, applied before the page is drawn: a small blocking script in <head>
// (a deferred one would show the other theme first). app.js offers the choice and keeps it
// in localStorage ("sb-theme": "light" or "dark"; none: the system's). /docs uses it too.
"use strict";
(function () {
  var theme = null;
  try { theme = window.localStorage.getItem("sb-theme"); } catch (e) { /* storage refused */ }
  if (theme === "light" || theme === "dark") document.documentElement.setAttribute("data-theme", theme);
})();
