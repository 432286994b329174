// Copy a suggestion to the clipboard. Served as a file so the CSP can forbid inline scripts.
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) { return; }
  var field = document.getElementById(button.getAttribute("data-copy"));
  var status = button.parentElement.querySelector(".copied");
  if (!field) { return; }
  function say(text) { if (status) { status.textContent = text; } }
  field.focus();
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(
      function () { say("Copied."); },
      function () { say("Selected: press Ctrl+C (or Cmd+C) to copy."); }
    );
  } else {
    say("Selected: press Ctrl+C (or Cmd+C) to copy.");
  }
});
