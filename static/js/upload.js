// Drag-and-drop uploads with per-file progress. Files go up in chunks; after a dropped
// connection the upload asks the server for its offset and continues where it stopped.
(function () {
  "use strict";

  var PARALLEL = 2;
  var MAX_RETRIES = 8;

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function send(method, url, body, headers, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      Object.keys(headers || {}).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      if (onProgress) xhr.upload.onprogress = function (e) { onProgress(e.loaded); };
      xhr.onload = function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText || "{}"); } catch (e) { data = {}; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject({ status: xhr.status, message: data.error || ("The server answered " + xhr.status + ".") });
      };
      xhr.onerror = function () { reject({ status: 0, message: "Connection lost" }); };
      xhr.send(body);
    });
  }

  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function Row(list, file) {
    this.el = document.createElement("li");
    this.el.className = "upload-row";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    this.bar = document.createElement("progress");
    this.bar.max = file.size || 1;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", "Upload progress of " + file.name);
    this.status = document.createElement("span");
    this.status.className = "upload-status";
    this.status.textContent = "Waiting…";
    this.el.append(name, this.bar, this.status);
    list.append(this.el);
  }
  Row.prototype.progress = function (done, total) {
    this.bar.value = done;
    this.status.textContent = Math.floor((100 * done) / (total || 1)) + " %";
  };
  Row.prototype.finish = function (text, kind, href) {
    this.el.classList.add("is-" + kind);
    this.status.textContent = "";
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = text;
      this.status.append(link);
    } else {
      this.status.textContent = text;
    }
    if (kind === "done") this.bar.value = this.bar.max;
  };

  function uploadFile(zone, file, row) {
    var form = new FormData();
    form.append("project_id", zone.dataset.project);
    if (zone.dataset.asset) form.append("asset_id", zone.dataset.asset);
    var note = zone.querySelector("[name=note]");
    if (note && note.value) form.append("note", note.value);
    form.append("name", file.name);
    form.append("size", String(file.size));
    return send("POST", zone.dataset.uploadStart, form).then(function (started) {
      return sendChunks(started, file, row, 0, 0);
    });
  }

  function sendChunks(started, file, row, offset, retries) {
    // offset == size only after a resume found every byte on the server: an empty chunk finishes it.
    var end = Math.min(offset + started.chunk, file.size);
    return send("POST", started.url, file.slice(offset, end), { "Upload-Offset": String(offset),
      "Content-Type": "application/octet-stream" }, function (loaded) { row.progress(offset + loaded, file.size); })
      .then(function (answer) {
        if (answer.done) return answer;
        return sendChunks(started, file, row, answer.offset, 0);
      }, function (error) {
        if ((error.status === 0 || error.status >= 500 || error.status === 409) && retries < MAX_RETRIES) {
          row.status.textContent = "Connection lost, resuming…";
          return wait(Math.min(1000 * Math.pow(2, retries), 15000))
            .then(function () { return send("GET", started.url); })
            .then(function (state) { return sendChunks(started, file, row, state.offset, retries + 1); },
                  function () { return sendChunks(started, file, row, offset, retries + 1); });
        }
        throw error;
      });
  }

  function handle(zone, files) {
    var list = zone.querySelector(".upload-list");
    var queue = Array.prototype.slice.call(files).map(function (file) { return { file: file, row: new Row(list, file) }; });
    function next() {
      var item = queue.shift();
      if (!item) return Promise.resolve();
      item.row.status.textContent = "Starting…";
      return uploadFile(zone, item.file, item.row).then(function (answer) {
        item.row.finish("Uploaded — preparing preview", "done", answer && answer.asset_url);
        // The line then follows the preview: it re-renders itself until the preview is ready (or failed).
        if (answer && answer.state_url && window.htmx) {
          window.htmx.ajax("GET", answer.state_url, { target: item.row.status, swap: "outerHTML" });
        }
        if (window.htmx) window.htmx.trigger(document.body, "board-changed");
        zone.dispatchEvent(new CustomEvent("revue:uploaded", { bubbles: true, detail: answer }));
      }, function (error) {
        item.row.finish(error.message || "Upload failed", "failed");
      }).then(next);
    }
    var workers = [];
    for (var i = 0; i < PARALLEL; i++) workers.push(next());
    return Promise.all(workers);
  }

  function setup(zone) {
    var input = zone.querySelector("input[type=file]");
    zone.addEventListener("submit", function (event) { event.preventDefault(); });
    if (input) input.addEventListener("change", function () {
      if (input.files.length) handle(zone, input.files).then(function () { input.value = ""; });
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("is-dragging"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("is-dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) handle(zone, event.dataTransfer.files);
    });
  }

  document.querySelectorAll("form[data-upload-start]").forEach(setup);
})();
