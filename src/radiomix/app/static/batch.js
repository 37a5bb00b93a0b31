/* radiomix batch page: several images (with masks, or boxes/seeds from a CSV) in, a table of
 * predictions out (and its CSV). Each case is one POST /api/predict, two at a time.
 * Plain JavaScript, no dependencies; everything is served by `radiomix app`. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const CONCURRENCY = 2;
  const MASK_NAME = /^(.*)_mask(_\d+)?$/i;
  const COLUMNS = [
    "image",
    "outline",
    "probability",
    "decision",
    "threshold",
    "interval_low",
    "interval_high",
    "warnings",
    "warning_codes",
    "error",
    "model_id",
  ];

  const B = {
    images: [], // File
    masks: new Map(), // stem -> File
    extraMasks: [], // mask files chosen among the images
    csv: null, // Map image name -> {box|seed, slice}
    csvName: "",
    cases: [], // {name, file, mask, box, seed, slice, row: {...}, tr}
    running: false,
    done: 0,
    abort: null,
    model: null,
  };

  /* ---------- messages and the API (common.js) ---------- */

  const { api, clearError, showError } = window.radiomix;

  /* ---------- inputs ---------- */

  function stemOf(name) {
    return String(name).replace(/\.(nii\.gz|[^.]+)$/i, "");
  }

  /** CSV rows as arrays of strings (RFC 4180 quotes; "," separator). */
  function parseCsv(text) {
    const rows = [];
    let row = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i++;
          } else quoted = false;
        } else field += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ",") {
        row.push(field);
        field = "";
      } else if (ch === "\n" || ch === "\r") {
        if (ch === "\r" && text[i + 1] === "\n") i++;
        row.push(field);
        rows.push(row);
        row = [];
        field = "";
      } else field += ch;
    }
    if (field !== "" || row.length) {
      row.push(field);
      rows.push(row);
    }
    return rows.filter((r) => r.some((f) => f.trim() !== ""));
  }

  /** image name -> {box} / {seed} [+ slice] from a CSV with columns image and box or seed.
   * An unquoted box spills over the next columns (image,box then a.png,1,2,3,4): it is
   * joined back. */
  function readPrompts(text) {
    const rows = parseCsv(text.replace(/^\uFEFF/, ""));
    if (!rows.length) throw new Error("The CSV is empty.");
    const head = rows[0].map((h) => h.trim().toLowerCase());
    const iImage = head.indexOf("image");
    const iBox = head.indexOf("box");
    const iSeed = head.indexOf("seed");
    const iSlice = head.indexOf("slice");
    if (iImage < 0 || (iBox < 0 && iSeed < 0)) {
      throw new Error("The CSV needs a header with the columns image and box (x0,y0,x1,y1) or seed (x,y).");
    }
    const out = new Map();
    const kind = iBox >= 0 ? "box" : "seed";
    const iPrompt = iBox >= 0 ? iBox : iSeed;
    const width = kind === "box" ? 4 : 2;
    for (const r of rows.slice(1)) {
      const name = (r[iImage] || "").trim();
      if (!name) continue;
      let value = (r[iPrompt] || "").trim();
      let slice = iSlice >= 0 ? (r[iSlice] || "").trim() : "";
      const spill = r.length - head.length;
      if (spill > 0 && iPrompt === head.length - 1) {
        value = r.slice(iPrompt, iPrompt + 1 + spill).map((v) => v.trim()).join(",");
      } else if (spill > 0 && iSlice < 0 && value.split(",").length < width) {
        value = r.slice(iPrompt, iPrompt + width).map((v) => v.trim()).join(",");
      }
      const entry = {};
      entry[kind] = value;
      if (slice) entry.slice = slice;
      out.set(name, entry);
    }
    return out;
  }

  function promptFor(name) {
    if (!B.csv) return null;
    if (B.csv.has(name)) return B.csv.get(name);
    const base = name.split(/[\\/]/).pop();
    for (const [k, v] of B.csv) if (k.split(/[\\/]/).pop() === base) return v;
    return null;
  }

  function planCases() {
    const masks = new Map(B.masks);
    for (const f of B.extraMasks) {
      const m = MASK_NAME.exec(stemOf(f.name));
      if (m && !masks.has(m[1])) masks.set(m[1], f);
    }
    B.cases = B.images.map((file) => {
      const mask = masks.get(stemOf(file.name)) || null;
      const prompt = mask ? null : promptFor(file.name);
      return { name: file.name, file, mask, prompt, row: null, tr: null };
    });
    const missing = B.cases.filter((c) => !c.mask && !c.prompt).length;
    const withMask = B.cases.filter((c) => c.mask).length;
    const withPrompt = B.cases.filter((c) => c.prompt).length;
    $("plan").textContent = B.cases.length
      ? B.cases.length +
        " image" + (B.cases.length === 1 ? "" : "s") + ": " +
        withMask + " with a mask, " + withPrompt + " with a CSV outline" +
        (missing ? ", " + missing + " without an outline (they will show an error)" : "") + "."
      : "No images chosen.";
    buildTable();
    setProgress(0);
    updateControls();
  }

  function onImages(files) {
    B.images = [];
    B.extraMasks = [];
    for (const f of files) {
      if (MASK_NAME.test(stemOf(f.name))) B.extraMasks.push(f);
      else B.images.push(f);
    }
    planCases();
  }

  function onMasks(files) {
    B.masks = new Map();
    for (const f of files) {
      const m = MASK_NAME.exec(stemOf(f.name));
      const key = m ? m[1] : stemOf(f.name);
      // NAME_mask before NAME_mask_1 (BUSI's second lesion): the first mask wins
      if (!B.masks.has(key) || (m && !m[2])) B.masks.set(key, f);
    }
    planCases();
  }

  async function onCsv(file) {
    clearError();
    B.csv = null;
    B.csvName = "";
    if (file) {
      try {
        B.csv = readPrompts(await file.text());
        B.csvName = file.name;
      } catch (err) {
        showError("“" + file.name + "” could not be used: " + err.message);
      }
    }
    planCases();
  }

  /* ---------- the table ---------- */

  function fmt6(p) {
    return typeof p === "number" ? p.toFixed(6) : "";
  }

  function outlineText(c) {
    if (c.mask) return "mask " + c.mask.name;
    if (c.prompt && c.prompt.box !== undefined) return "box " + c.prompt.box + (c.prompt.slice ? " (slice " + c.prompt.slice + ")" : "");
    if (c.prompt && c.prompt.seed !== undefined) return "seed " + c.prompt.seed + (c.prompt.slice ? " (slice " + c.prompt.slice + ")" : "");
    return "none";
  }

  function buildTable() {
    const body = document.querySelector("#results tbody");
    body.textContent = "";
    for (const c of B.cases) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = c.name;
      tr.appendChild(th);
      for (let i = 0; i < 6; i++) tr.appendChild(document.createElement("td"));
      tr.children[1].textContent = outlineText(c);
      tr.className = "pending";
      c.tr = tr;
      c.row = null;
      body.appendChild(tr);
    }
  }

  function fillRow(c) {
    const r = c.row;
    const td = c.tr.children;
    td[2].textContent = fmt6(r.probability);
    if (typeof r.probability === "number") td[2].dataset.value = String(r.probability);
    td[3].textContent = r.decision || "";
    td[3].className = r.decision ? (r.decision_positive ? "positive" : "negative") : "";
    td[4].textContent =
      typeof r.interval_low === "number" && typeof r.interval_high === "number"
        ? r.interval_low.toFixed(3) + " – " + r.interval_high.toFixed(3)
        : "";
    td[5].textContent = r.error ? "" : String(r.warnings);
    if (r.warning_text) td[5].title = r.warning_text;
    td[6].textContent = r.error || "";
    c.tr.className = r.error ? "failed" : "done";
  }

  /* ---------- running ---------- */

  function setProgress(k) {
    B.done = k;
    const n = B.cases.length;
    const p = $("progress");
    p.max = Math.max(n, 1);
    p.value = k;
    $("progress-text").textContent = k + " of " + n;
  }

  async function runCase(c, signal) {
    const row = {
      image: c.name,
      outline: outlineText(c),
      probability: "",
      decision: "",
      threshold: "",
      interval_low: "",
      interval_high: "",
      warnings: "",
      warning_codes: "",
      error: "",
      model_id: "",
    };
    if (!c.mask && !c.prompt) {
      row.error =
        "No outline: choose " + stemOf(c.name) + "_mask.png among the masks or give the image a box or seed in the CSV.";
      return row;
    }
    const form = new FormData();
    form.append("image", c.file, "upload");
    if (c.mask) form.append("mask", c.mask, "mask");
    else for (const k of ["box", "seed", "slice"]) if (c.prompt[k] !== undefined) form.append(k, c.prompt[k]);
    try {
      const resp = await api("/api/predict", { method: "POST", body: form, signal });
      const a = await resp.json();
      row.probability = a.probability;
      row.decision = a.decision;
      row.decision_positive = a.decision_positive;
      row.threshold = a.threshold;
      if (Array.isArray(a.interval) && a.interval.length === 2) {
        row.interval_low = a.interval[0];
        row.interval_high = a.interval[1];
      }
      const ws = a.warnings || [];
      row.warnings = ws.length;
      row.warning_text = ws.join("\n");
      row.warning_codes = (a.warning_details || []).map((w) => w.code).join(";");
      row.model_id = a.model_id || "";
    } catch (err) {
      if (err.name === "AbortError") row.error = "Stopped before an answer.";
      else row.error = err.message;
    }
    return row;
  }

  async function runAll() {
    if (B.running || !B.cases.length) return;
    clearError();
    B.running = true;
    B.abort = new AbortController();
    buildTable();
    setProgress(0);
    updateControls();
    document.body.classList.add("busy");
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < B.cases.length) {
        const c = B.cases[next++];
        if (B.abort.signal.aborted) {
          c.row = { image: c.name, outline: outlineText(c), error: "Stopped before it was sent." };
          for (const k of COLUMNS) if (c.row[k] === undefined) c.row[k] = "";
        } else {
          c.tr.className = "running";
          c.row = await runCase(c, B.abort.signal);
        }
        fillRow(c);
        setProgress(++done);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, B.cases.length) }, worker));
    } finally {
      B.running = false;
      B.abort = null;
      document.body.classList.remove("busy");
      const failed = B.cases.filter((c) => c.row && c.row.error).length;
      $("progress-text").textContent =
        done + " of " + B.cases.length + " done" + (failed ? ", " + failed + " with an error" : "") + ".";
      updateControls();
    }
  }

  function stop() {
    if (B.abort) B.abort.abort();
  }

  /* ---------- CSV out ---------- */

  function csvField(v) {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function tableCsv() {
    const lines = [COLUMNS.join(",")];
    for (const c of B.cases) {
      if (!c.row) continue;
      lines.push(COLUMNS.map((k) => csvField(c.row[k])).join(","));
    }
    return lines.join("\r\n") + "\r\n";
  }

  function downloadCsv() {
    const blob = new Blob([tableCsv()], { type: "text/csv" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = "radiomix-predictions.csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  /* ---------- wiring ---------- */

  function updateControls() {
    $("run").disabled = B.running || !B.cases.length;
    $("stop").disabled = !B.running;
    $("download").disabled = B.running || !B.cases.some((c) => c.row);
    for (const id of ["images", "masks", "csv"]) $(id).disabled = B.running;
  }

  async function loadModel() {
    try {
      const card = await (await api("/api/model")).json();
      B.model = card;
      $("model-line").textContent =
        "Model " + (card.model_id || card.model || "") +
        (typeof card.threshold === "number" ? " · threshold " + card.threshold.toFixed(4) : "") +
        ". Each row is one POST /api/predict; values in the CSV are as the server returned them.";
    } catch (err) {
      showError(err.message);
    }
  }

  $("images").addEventListener("change", (ev) => onImages(Array.from(ev.target.files)));
  $("masks").addEventListener("change", (ev) => onMasks(Array.from(ev.target.files)));
  $("csv").addEventListener("change", (ev) => onCsv(ev.target.files[0] || null));
  $("run").addEventListener("click", runAll);
  $("stop").addEventListener("click", stop);
  $("download").addEventListener("click", downloadCsv);

  // tests and scripts read the page's state through this small, read-only window
  window.radiomixBatch = {
    state: () => ({
      running: B.running,
      done: B.done,
      total: B.cases.length,
      rows: B.cases.map((c) => (c.row ? Object.assign({}, c.row) : null)),
      csv: B.csv ? Object.fromEntries(B.csv) : null,
    }),
    tableCsv,
  };

  updateControls();
  loadModel();
})();
