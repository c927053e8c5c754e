// The team pages: "Copy link" for a one-time link, and a confirmation before a form that
// deactivates someone or resets their password (data-confirm). Without JS both forms still work.
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    var question = form.getAttribute("data-confirm");
    if (!question) return;
    form.addEventListener("submit", function (event) {
      if (!window.confirm(question)) event.preventDefault();
    });
  });
  var copy = document.querySelector("[data-copy-link]");
  var url = document.querySelector("[data-testid=one-time-url]");
  if (!copy || !url || !navigator.clipboard) return;
  var done = document.querySelector(".copy-done");
  copy.hidden = false;
  copy.addEventListener("click", function () {
    navigator.clipboard.writeText(url.textContent.trim()).then(
      function () { if (done) done.textContent = "Copied."; },
      function () { if (done) done.textContent = "Could not copy: select the link and copy it."; }
    );
  });
})();
