// Signing forms (<form data-signing>): once submitted, the button is disabled and says
// "Đang ký…" with a spinner, so that a slow signature is not sent twice. The server itself
// requires the confirmation box; this only shows progress.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches || !form.matches("form[data-signing]") || event.defaultPrevented) return;
    if (form.dataset.submitting === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      const spinner = document.createElement("span");
      spinner.className = "spinner-border spinner-border-sm me-1";
      spinner.setAttribute("aria-hidden", "true");
      button.textContent = " " + (button.dataset.busyText || "Đang ký…");
      button.prepend(spinner);
      // Looks and acts disabled at once (Bootstrap's .disabled takes the pointer away); the
      // real `disabled` comes after the browser has taken the form's data (a disabled button
      // would leave its own name out), when the page still runs timers.
      button.classList.add("disabled");
      button.setAttribute("aria-disabled", "true");
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
