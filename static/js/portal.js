// Behaviour that the markup asks for with data attributes, so that no page needs inline script
// or style attributes (the Content-Security-Policy allows neither):
//   <form data-confirm="Xóa …?">        asks before submitting; the text is an attribute, never code
//   <select data-autosubmit>             submits its form when changed
//   <a href="/" data-history-back>       goes back one page (the href is the fallback)
//   <div data-width="42.5">              width in percent, set through the CSSOM
//   <div data-left="85">                 left offset in percent, likewise
//   <button data-insert-field="{năm}">   inserts its text at the cursor of the textarea marked
//                                        data-field-target in the same .section-editor card
// Listeners sit on the document, so content that htmx swaps in later behaves the same; sizes
// are applied again to every fragment htmx loads.
(function () {
  "use strict";

  function percent(value) {
    const number = Number.parseFloat(value);
    return Number.isFinite(number) ? Math.min(Math.max(number, 0), 100) + "%" : null;
  }

  function applySizes(root) {
    if (!root || !root.querySelectorAll) return;
    const nodes = Array.from(root.querySelectorAll("[data-width], [data-left]"));
    if (root.matches && root.matches("[data-width], [data-left]")) nodes.push(root);
    nodes.forEach(function (node) {
      const width = percent(node.dataset.width);
      const left = percent(node.dataset.left);
      if (width !== null) node.style.width = width;
      if (left !== null) node.style.left = left;
    });
  }

  // Capture phase: runs before htmx or any handler on the form itself, so "Hủy" stops them all.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const submitter = event.submitter;
    const message = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    const field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) field.form.submit();
  });

  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("a[data-history-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-insert-field]");
    if (!button) return;
    const card = button.closest(".section-editor");
    const area = card && card.querySelector("textarea[data-field-target]");
    if (!area) return;
    const text = button.dataset.insertField;
    const start = area.selectionStart;
    const end = area.selectionEnd;
    area.focus();
    area.setRangeText(text, start, end, "end");
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // This script is loaded at the end of <body>: what is above it is already parsed.
  applySizes(document);
  document.addEventListener("DOMContentLoaded", function () { applySizes(document); });
  document.addEventListener("htmx:load", function (event) { applySizes(event.detail.elt); });
})();
