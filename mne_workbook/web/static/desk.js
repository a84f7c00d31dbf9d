// Drag-and-drop upload: each file is posted on its own, and its outcome (HTML the
// server rendered and escaped) replaces its "reading" line as soon as it is read.
// Without JavaScript the form posts all chosen files at once and the page lists them.
(function () {
  "use strict";
  function setup(form) {
    var input = form.querySelector('input[type="file"]');
    var results = document.querySelector("[data-results]");
    var token = form.querySelector('input[name="csrf_token"]').value;
    var queue = [];
    var running = 0;
    var LIMIT = 3;

    function pump() {
      while (running < LIMIT && queue.length) {
        send(queue.shift());
      }
    }
    function send(item) {
      running += 1;
      var body = new FormData();
      body.append("csrf_token", token);
      body.append("files", item.file, item.file.name);
      fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "X-CSRF-Token": token },
      })
        .then(function (r) {
          return r.text().then(function (text) {
            if (r.ok) {
              item.li.insertAdjacentHTML("beforebegin", text);
              item.li.remove();
            } else {
              item.li.className = "outcome refused";
              item.li.textContent = item.file.name + ": " + r.status + " " + r.statusText;
            }
          });
        })
        .catch(function (e) {
          item.li.className = "outcome refused";
          item.li.textContent = item.file.name + ": " + e;
        })
        .finally(function () {
          running -= 1;
          pump();
        });
    }
    function add(files) {
      for (var i = 0; i < files.length; i++) {
        var li = document.createElement("li");
        li.className = "outcome reading";
        li.textContent = files[i].name + " …";
        results.prepend(li);
        queue.push({ file: files[i], li: li });
      }
      pump();
    }
    form.addEventListener("dragover", function (e) {
      e.preventDefault();
      form.classList.add("over");
    });
    form.addEventListener("dragleave", function () {
      form.classList.remove("over");
    });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      form.classList.remove("over");
      add(e.dataTransfer.files);
    });
    form.addEventListener("submit", function (e) {
      if (!input.files.length) return;
      e.preventDefault();
      add(input.files);
      input.value = "";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-dropzone]").forEach(setup);
  });
})();
