// Evidence upload: drag and drop, pick several files or (on a phone) take a photo; each goes up in its own request with
// its own progress bar, so one refused file never stops the others. Files go up one after the
// other, in the order dropped: codes follow that order, a slow line finishes the first file
// first instead of sharing itself between all of them, and the database sees one writer.
// Without JavaScript the form still posts all files at once.
(function () {
  "use strict";

  function csrfToken(form) {
    return form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function humanSize(bytes) {
    const units = ["B", "KB", "MB", "GB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return (unit === 0 ? String(value) : value.toFixed(1)).replace(".", ",") + " " + units[unit];
  }

  function changed() {
    document.body.dispatchEvent(new CustomEvent("evidence-changed"));
  }

  function row(file) {
    const item = el("li", "list-group-item small upload-row");
    item.dataset.fileName = file.name;
    const head = el("div", "d-flex justify-content-between gap-2");
    head.append(el("span", "text-truncate", file.name), el("span", "text-muted flex-shrink-0", humanSize(file.size)));
    const bar = el("div", "progress mt-1");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", "Tiến độ tải lên " + file.name);
    const fill = el("div", "progress-bar");
    fill.style.width = "0%";
    bar.append(fill);
    const status = el("div", "mt-1 status", "Đang chờ…");
    item.append(head, bar, status);
    return { item, bar, fill, status };
  }

  function setProgress(view, percent) {
    view.fill.style.width = percent + "%";
    view.bar.setAttribute("aria-valuenow", String(percent));
    view.status.textContent = "Đang tải lên… " + percent + "%";
  }

  function finish(view, result, form, file) {
    view.fill.style.width = "100%";
    view.bar.setAttribute("aria-valuenow", "100");
    view.item.dataset.status = result.status;
    view.status.replaceChildren();
    if (result.status === "stored") {
      view.fill.classList.add("bg-success");
      view.status.className = "mt-1 status text-success";
      view.status.append(el("i", "bi bi-check-circle"), " Đã tải lên: " + result.code);
      if (result.warning) {
        view.status.append(el("div", "text-warning-emphasis", result.warning));
      }
      form.listStale = true;  // the list reloads once the queue is empty
    } else if (result.status === "duplicate") {
      view.fill.classList.add("bg-warning");
      view.status.className = "mt-1 status text-warning-emphasis";
      view.status.append(result.message + " ");
      if (result.duplicate.already_linked) return;
      const link = el("button", "btn btn-sm btn-outline-primary me-1", "Dùng minh chứng " + result.duplicate.code);
      link.type = "button";
      link.addEventListener("click", function () {
        const body = new FormData();
        body.append("evidence", result.duplicate.id);
        fetch(result.duplicate.link_url, {
          method: "POST", body: body, headers: { "X-CSRFToken": csrfToken(form) }, credentials: "same-origin",
        }).then(function () { view.status.textContent = "Đã dùng minh chứng " + result.duplicate.code + " cho tiêu chí này."; changed(); });
      });
      const again = el("button", "btn btn-sm btn-outline-secondary", "Vẫn tải lên bản mới");
      again.type = "button";
      again.addEventListener("click", function () {
        view.status.textContent = "Đang chờ…";
        enqueue(form, function () { return send(form, file, view, true); });
      });
      view.status.append(link, again);
    } else {
      view.fill.classList.add("bg-danger");
      view.status.className = "mt-1 status text-danger";
      view.status.append(el("i", "bi bi-x-circle"), " Không nhận: " + result.message);
    }
  }

  // Resolves when the server has answered (or the connection failed); never rejects.
  function send(form, file, view, allowDuplicate) {
    return new Promise(function (resolve) { sendNow(form, file, view, allowDuplicate, resolve); });
  }

  function sendNow(form, file, view, allowDuplicate, done) {
    const body = new FormData();
    body.append("files", file, file.name);
    if (allowDuplicate) body.append("allow_duplicate", "1");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) setProgress(view, Math.round((event.loaded / event.total) * 100));
    });
    xhr.addEventListener("load", function () {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if ((xhr.status === 200 || xhr.status === 413) && data && data.results && data.results.length) {
        finish(view, data.results[0], form, file);
      } else if (xhr.status === 403) {
        finish(view, { status: "refused", message: "Bạn không có quyền tải minh chứng cho tiêu chí này, hoặc kỳ đánh giá đã khóa." });
      } else if (xhr.status === 413) {
        finish(view, { status: "refused", message: "Tệp quá lớn." });
      } else {
        finish(view, { status: "refused", message: "Máy chủ không nhận được tệp (mã " + xhr.status + "). Hãy thử lại." });
      }
    });
    xhr.addEventListener("error", function () {
      finish(view, { status: "refused", message: "Mất kết nối khi tải lên. Hãy thử lại." });
    });
    xhr.addEventListener("loadend", done);  // after load or error, even if showing it failed
    setProgress(view, 0);
    xhr.send(body);
  }

  function enqueue(form, task) {
    form.uploadsPending = (form.uploadsPending || 0) + 1;
    form.uploadQueue = (form.uploadQueue || Promise.resolve())
      .then(task)
      .catch(function () {})
      .then(function () {
        form.uploadsPending -= 1;
        if (form.uploadsPending === 0 && form.listStale) {
          form.listStale = false;
          changed();
        }
      });
  }

  function uploadAll(form, files) {
    const results = form.querySelector("[data-upload-results]");
    const batch = document.createDocumentFragment();
    Array.from(files).forEach(function (file) {
      const view = row(file);
      batch.append(view.item);  // in the order dropped; a newer batch goes above an older one
      enqueue(form, function () { return send(form, file, view, false); });
    });
    results.prepend(batch);
  }

  function bind(form) {
    if (form.dataset.bound) return;
    form.dataset.bound = "1";
    // The file chooser and, on a phone, the camera: both send what they are given.
    const inputs = Array.from(form.querySelectorAll("[data-file-input]"));
    const target = form.querySelector("[data-drop-target]");
    inputs.forEach(function (input) {
      // Without script the form sends one file; with it, each chosen file goes in its own request.
      if (!input.hasAttribute("capture")) input.multiple = true;
      input.addEventListener("change", function () { uploadAll(form, input.files); input.value = ""; });
    });
    form.querySelectorAll("[data-multiple-hint]").forEach(function (hint) { hint.hidden = false; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      inputs.forEach(function (input) { uploadAll(form, input.files); });
    });
    ["dragenter", "dragover"].forEach(function (name) {
      target.addEventListener(name, function (event) { event.preventDefault(); target.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      target.addEventListener(name, function (event) { event.preventDefault(); target.classList.remove("dragging"); });
    });
    target.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) uploadAll(form, event.dataTransfer.files);
    });
  }

  function bindAll(root) { (root || document).querySelectorAll("form[data-upload-form]").forEach(bind); }
  document.addEventListener("DOMContentLoaded", function () { bindAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { bindAll(event.target); });
})();
