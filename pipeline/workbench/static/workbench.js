// The review workbench's page logic: save (approve), conflicts, filters, keyboard, rebuild.
// Document text is only ever put into the page with textContent / value, never as HTML.
"use strict";

(function () {
  const bench = document.getElementById("workbench");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const reviewerInput = document.getElementById("reviewer");
  const stored = window.localStorage && localStorage.getItem("workbench-reviewer");
  if (reviewerInput && stored) reviewerInput.value = stored;
  if (reviewerInput) {
    reviewerInput.addEventListener("change", () => {
      if (window.localStorage) localStorage.setItem("workbench-reviewer", reviewerInput.value.trim());
    });
  }
  if (!bench) return;

  const rows = Array.from(document.querySelectorAll("article.seg"));
  let current = null;

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Workbench-CSRF": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    }).then((response) => response.json().then((data) => ({ code: response.status, data })));
  }

  function rowOf(element) {
    return element.closest("article.seg");
  }

  function focusRow(row, select) {
    if (!row) return;
    if (current) current.classList.remove("current");
    current = row;
    row.classList.add("current");
    const area = row.querySelector('textarea[name="target"]');
    area.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
    if (select) area.setSelectionRange(area.value.length, area.value.length);
  }

  function visibleRows() {
    return rows.filter((row) => !row.hidden);
  }

  function move(step, onlyOpen) {
    const list = visibleRows();
    let index = list.indexOf(current);
    for (let i = 0; i < list.length; i++) {
      index += step;
      if (index < 0 || index >= list.length) return;
      if (!onlyOpen || list[index].dataset.state !== "approved") {
        focusRow(list[index], true);
        return;
      }
    }
  }

  function setStatus(row, text, kind) {
    const status = row.querySelector(".status");
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  function updateProgress() {
    const approved = rows.filter((row) => row.dataset.state === "approved").length;
    document.getElementById("approved-count").textContent = String(approved);
    document.getElementById("progress").value = approved;
  }

  function markApproved(row, data) {
    delete row.dataset.dirty;
    row.dataset.state = "approved";
    row.dataset.version = data.version;
    row.querySelector(".conflict").hidden = true;
    const origin = row.querySelector(".origin");
    origin.textContent = "approved";
    origin.className = "origin origin-approved";
    row.querySelector(".by").textContent =
      (data.reviewer || "") + " · " + (data.approved_at || "").slice(0, 16).replace("T", " ");
    setStatus(row, data.status === "unchanged" ? "already approved" : "saved", "ok");
    updateProgress();
  }

  function showConflict(row, data) {
    row.dataset.state = "conflict";
    row.dataset.theirVersion = data.version;
    const box = row.querySelector(".conflict");
    box.querySelector(".conflict-head").textContent =
      "Not saved: this sentence " + (data.reason || "changed since this page was loaded") + ".";
    box.querySelector(".theirs").textContent = data.target || "";
    box.querySelector(".yours").textContent = data.yours || "";
    box.hidden = false;
    setStatus(row, "conflict", "bad");
  }

  function approve(row) {
    if (!row || row.dataset.busy) return Promise.resolve();
    const area = row.querySelector('textarea[name="target"]');
    row.dataset.busy = "1";
    setStatus(row, "saving…", "");
    return post("/api/save", {
      document: bench.dataset.document,
      pair: bench.dataset.pair,
      segment: row.dataset.segment,
      target: area.value,
      version: row.dataset.version,
      reviewer: reviewerInput ? reviewerInput.value.trim() : "",
    })
      .then(({ code, data }) => {
        if (code === 200) markApproved(row, data);
        else if (code === 409) showConflict(row, data);
        else setStatus(row, data.reason || "not saved", "bad");
      })
      .catch(() => setStatus(row, "not saved: the workbench server is not answering", "bad"))
      .finally(() => {
        delete row.dataset.busy;
      });
  }

  function useText(row, text) {
    const area = row.querySelector('textarea[name="target"]');
    area.value = text;
    area.dispatchEvent(new Event("input"));
    area.focus();
  }

  function useAlternative(row, n) {
    const button = row.querySelector('[data-action="use-alt"][data-n="' + n + '"]');
    if (button) useText(row, button.querySelector(".alt-text").textContent);
  }

  function applyFilters() {
    const onlyFindings = document.getElementById("only-findings").checked;
    const onlyOpen = document.getElementById("only-unapproved").checked;
    for (const row of rows) {
      row.hidden =
        (onlyFindings && row.dataset.findings === "0") ||
        (onlyOpen && row.dataset.state === "approved");
    }
  }

  document.getElementById("only-findings").addEventListener("change", applyFilters);
  document.getElementById("only-unapproved").addEventListener("change", applyFilters);

  bench.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const row = rowOf(button);
    const action = button.dataset.action;
    if (action === "rebuild") return startRebuild();
    if (!row) return;
    if (current !== row) focusRow(row, false);
    if (action === "approve") approve(row);
    else if (action === "copy-source") useText(row, row.querySelector(".raw-source").textContent);
    else if (action === "use-alt") useAlternative(row, button.dataset.n);
    else if (action === "use-theirs") {
      useText(row, row.querySelector(".conflict .theirs").textContent);
      delete row.dataset.dirty;
      row.dataset.version = row.dataset.theirVersion;
      row.dataset.state = "approved";
      row.querySelector(".conflict").hidden = true;
      setStatus(row, "kept the other reviewer's text", "ok");
      updateProgress();
    } else if (action === "approve-mine") {
      row.dataset.version = row.dataset.theirVersion;
      approve(row);
    }
  });

  bench.addEventListener("focusin", (event) => {
    const row = rowOf(event.target);
    if (row && row !== current) {
      if (current) current.classList.remove("current");
      current = row;
      row.classList.add("current");
    }
  });

  function checkTerms(row) {
    const text = row.querySelector('textarea[name="target"]').value.toLowerCase();
    for (const term of row.querySelectorAll(".terms li[data-expected]")) {
      const present = text.includes(term.dataset.expected.toLowerCase());
      term.className = present ? "present" : "missing";
    }
  }

  bench.addEventListener("input", (event) => {
    const row = rowOf(event.target);
    if (row && event.target.name === "target") {
      checkTerms(row);
      row.dataset.dirty = "1";
    }
    if (row && event.target.name === "target" && row.dataset.state === "approved") {
      row.dataset.state = "edited";
      setStatus(row, "edited, not saved", "");
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey && event.key === "Enter") {
      event.preventDefault();
      const row = current;
      approve(row).then(() => {
        if (row && row.dataset.state === "approved") move(1, false);
      });
    } else if (event.altKey && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      if (!current) focusRow(visibleRows()[0], true);
      else move(event.key === "ArrowDown" ? 1 : -1, false);
    } else if (event.altKey && (event.code === "KeyN")) {
      event.preventDefault();
      move(1, true);
    } else if (event.altKey && event.code === "KeyC" && current) {
      event.preventDefault();
      useText(current, current.querySelector(".raw-source").textContent);
    } else if (event.altKey && /^Digit[1-9]$/.test(event.code) && current) {
      event.preventDefault();
      useAlternative(current, event.code.slice(5));
    }
  });

  // Leaving the page with edits not approved asks first (the browser's own question).
  window.addEventListener("beforeunload", (event) => {
    if (rows.some((row) => row.dataset.dirty)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // --- rebuild -------------------------------------------------------------------------
  const panel = document.getElementById("rebuild-panel");
  const rebuildButton = document.querySelector('[data-action="rebuild"]');
  const fileBase = "/files/" + encodeURIComponent(bench.dataset.document) + "/";

  function showRebuild(status) {
    panel.hidden = false;
    panel.dataset.state = status.state;
    const bar = document.getElementById("rebuild-progress");
    bar.max = Math.max(1, status.outputs);
    bar.value = status.outputs_done;
    const label = { running: "Rebuilding… ", done: "Done: ", failed: "Failed: " }[status.state] || "";
    document.getElementById("rebuild-message").textContent = label + (status.message || "");
    rebuildButton.disabled = status.state === "running";
    const files = document.getElementById("rebuild-files");
    const previews = document.getElementById("rebuild-previews");
    files.replaceChildren();
    previews.replaceChildren();
    if (status.state === "running") return;
    const stamp = Date.now();
    for (const file of status.files) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = fileBase + file.split("/").map(encodeURIComponent).join("/");
      link.textContent = file;
      link.setAttribute("download", "");
      item.appendChild(link);
      files.appendChild(item);
    }
    for (const [pdf, pages] of Object.entries(status.previews || {})) {
      const figure = document.createElement("figure");
      const caption = document.createElement("figcaption");
      caption.textContent = pdf;
      figure.appendChild(caption);
      for (let page = 1; page <= pages; page++) {
        const image = document.createElement("img");
        image.alt = pdf + " page " + page;
        image.src = "/preview/" + encodeURIComponent(bench.dataset.document) + "/" +
          encodeURIComponent(pdf) + "/" + page + ".png?t=" + stamp;
        const full = document.createElement("a");
        full.href = image.src;
        full.target = "_blank";
        full.appendChild(image);
        figure.appendChild(full);
      }
      previews.appendChild(figure);
    }
  }

  function poll() {
    fetch("/api/rebuild/" + encodeURIComponent(bench.dataset.document), { credentials: "same-origin" })
      .then((response) => response.json())
      .then((status) => {
        showRebuild(status);
        if (status.state === "running") setTimeout(poll, 400);
      });
  }

  function startRebuild() {
    rebuildButton.disabled = true;
    post("/api/rebuild", { document: bench.dataset.document }).then(({ data }) => {
      showRebuild(data);
      if (data.state === "running") setTimeout(poll, 300);
    });
  }

  if (panel.dataset.state !== "idle") poll();
  if (rows.length) {
    current = rows[0];
    rows[0].classList.add("current");
  }
})();
