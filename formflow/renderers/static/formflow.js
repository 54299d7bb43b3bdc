// Progressive enhancement only: every page works without this file.
// Moves the focus to the error summary so that screen readers announce it.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
});
