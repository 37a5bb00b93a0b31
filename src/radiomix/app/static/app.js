/* radiomix app page: open an image, outline the lesion, ask the model, export.
 * Plain JavaScript, no dependencies; everything is served by `radiomix app`.
 * Coordinates: image pixel (column, row), 0-based; continuous image coordinates put
 * pixel (c, r) on [c, c + 1) x [r, r + 1), its centre at (c + 0.5, r + 0.5). */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  const BROWSER_TYPES = /\.(png|jpe?g|bmp)$/i;
  const SERVER_TYPES = /\.(tiff?|dcm|nii|nii\.gz|nrrd|nhdr|mha|mhd|gz)$/i;
  const MODE_KEYS = { m: "pan", b: "box", s: "seed", p: "polygon", a: "add", e: "erase" };
  const HINTS = {
    pan: "Drag to move the image; wheel or + and − to zoom; arrow keys move it too.",
    box: "Drag a box around the lesion (keyboard: Enter at one corner, then at the other).",
    seed: "Click inside the lesion (keyboard: move the cursor with the arrows, then Enter).",
    polygon:
      "Draw around the lesion holding the button down, or click its corners and close with a double click, the first point, C or Enter on it; then drag a corner to move it.",
    add: "Paint to add to the outline ([ and ] change the brush).",
    erase: "Paint to remove from the outline ([ and ] change the brush).",
  };
  const MODE_NAMES = {
    pan: "move",
    box: "box",
    seed: "seed",
    polygon: "polygon",
    add: "brush add",
    erase: "brush erase",
  };
  const UNDO_DEPTH = 30;

  const S = {
    token: null,
    file: null, // the image File as chosen: sent to the server unchanged
    format: "", // the server's name of the image's format (from /api/preview), "" when the browser decoded it
    w: 0,
    h: 0,
    pixels: null, // RGBA of the shown image (or slice), as decoded
    slices: 1,
    slice: 0,
    viewable: false,
    mask: null, // Uint8Array(w * h) of 0/1, or null
    maskFile: null, // a mask file the page cannot decode, sent as it is
    maskOrigin: "",
    undo: [],
    view: { scale: 1, ox: 0, oy: 0 },
    wl: { window: 255, level: 127.5 },
    mode: "box",
    drag: null,
    poly: [],
    lastPolygon: null,
    editPoly: null, // the closed polygon's corners while its outline is unedited
    maskSlice: 0, // the slice of a 3D image that the outline lies on
    prompt: null, // the box or seed of an unedited server outline: sent again for 3D images
    sliceWanted: null,
    sliceLoading: false,
    fitted: true,
    cursor: null,
    boxAnchor: null,
    brushAt: null,
    result: null,
    resultMask: null,
    model: null,
    busy: 0,
    segmentAbort: null,
  };

  const canvas = $("view");
  const ctx = canvas.getContext("2d");
  const base = document.createElement("canvas"); // the image after window/level
  const overlay = document.createElement("canvas"); // mask fill and outline
  let renderQueued = false;

  /* ---------- messages ---------- */

  function setStatus(text) {
    $("status").textContent = text;
  }

  function busy(delta, text) {
    S.busy += delta;
    document.body.classList.toggle("busy", S.busy > 0);
    $("answer-panel").setAttribute("aria-busy", S.busy > 0 ? "true" : "false");
    if (text !== undefined) setStatus(text);
    updateControls();
  }

  /* ---------- the API ---------- */

  const { ApiError, clearError, showError } = window.radiomix;

  /** An app endpoint, with the page's token when it was opened with one. */
  function api(path, options) {
    return window.radiomix.api(path, options, S.token);
  }

  /* ---------- PNG encoding and decoding ---------- */

  const CRC_TABLE = (() => {
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c >>> 0;
    }
    return t;
  })();

  function crc32(bytes) {
    let c = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }

  function adler32(bytes) {
    let a = 1;
    let b = 0;
    for (let i = 0; i < bytes.length; i++) {
      a = (a + bytes[i]) % 65521;
      b = (b + a) % 65521;
    }
    return ((b << 16) | a) >>> 0;
  }

  function zlibStored(raw) {
    // zlib stream of stored (uncompressed) deflate blocks: used without CompressionStream
    const blocks = Math.max(1, Math.ceil(raw.length / 65535));
    const out = new Uint8Array(2 + raw.length + blocks * 5 + 4);
    out[0] = 0x78;
    out[1] = 0x01;
    let o = 2;
    for (let i = 0; i < blocks; i++) {
      const chunk = raw.subarray(i * 65535, Math.min(raw.length, (i + 1) * 65535));
      out[o++] = i === blocks - 1 ? 1 : 0;
      out[o++] = chunk.length & 0xff;
      out[o++] = chunk.length >>> 8;
      out[o++] = ~chunk.length & 0xff;
      out[o++] = (~chunk.length >>> 8) & 0xff;
      out.set(chunk, o);
      o += chunk.length;
    }
    const ad = adler32(raw);
    out[o++] = ad >>> 24;
    out[o++] = (ad >>> 16) & 0xff;
    out[o++] = (ad >>> 8) & 0xff;
    out[o++] = ad & 0xff;
    return out;
  }

  async function zlib(raw) {
    if (typeof CompressionStream === "function") {
      const stream = new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate"));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    }
    return zlibStored(raw);
  }

  function pngChunk(type, data) {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  }

  /** An 8-bit greyscale PNG of a 0/1 mask as 0/255, the form /api/segment returns. */
  async function maskToPng(mask, w, h) {
    const raw = new Uint8Array((w + 1) * h);
    for (let r = 0; r < h; r++) {
      const o = r * (w + 1);
      raw[o] = 0; // filter: none
      for (let c = 0; c < w; c++) raw[o + 1 + c] = mask[r * w + c] ? 255 : 0;
    }
    const ihdr = new Uint8Array(13);
    const dv = new DataView(ihdr.buffer);
    dv.setUint32(0, w);
    dv.setUint32(4, h);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 0; // greyscale
    const parts = [
      new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
      pngChunk("IHDR", ihdr),
      pngChunk("IDAT", await zlib(raw)),
      pngChunk("IEND", new Uint8Array(0)),
    ];
    return new Blob(parts, { type: "image/png" });
  }

  /** RGBA pixels of an image blob as the browser decodes it, without colour management
   * or EXIF rotation (the server reads the pixel grid as stored). */
  async function decodeBlob(blob) {
    const bmp = await createImageBitmap(blob, {
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
      imageOrientation: "none",
    });
    const c = document.createElement("canvas");
    c.width = bmp.width;
    c.height = bmp.height;
    const cx = c.getContext("2d", { willReadFrequently: true });
    cx.drawImage(bmp, 0, 0);
    const data = cx.getImageData(0, 0, bmp.width, bmp.height).data;
    const out = { w: bmp.width, h: bmp.height, data: data };
    if (bmp.close) bmp.close();
    return out;
  }

  function rgbaToMask(rgba, w, h) {
    const m = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const j = 4 * i;
      m[i] = rgba[j] > 0 || rgba[j + 1] > 0 || rgba[j + 2] > 0 ? 1 : 0;
    }
    return m;
  }

  function base64ToBlob(b64, type) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type: type });
  }

  /* ---------- opening an image ---------- */

  function resetCase() {
    S.mask = null;
    S.maskFile = null;
    S.maskOrigin = "";
    S.undo = [];
    S.poly = [];
    S.editPoly = null;
    S.prompt = null;
    S.lastPolygon = null;
    S.boxAnchor = null;
    S.drag = null;
    S.result = null;
    S.resultMask = null;
    $("result").hidden = true;
    maskChanged(false);
  }

  async function openImage(file) {
    if (!file) return;
    clearError();
    resetCase();
    S.file = null;
    S.format = "";
    S.viewable = false;
    S.pixels = null;
    S.slices = 1;
    S.slice = 0;
    $("slice-bar").hidden = true;
    $("file-name").textContent = file.name;
    if (file.size === 0) {
      failOpen(file, "“" + file.name + "” is empty.");
      return;
    }
    busy(+1, "Opening " + file.name + "…");
    try {
      let decoded = null;
      let browserError = null;
      if (!SERVER_TYPES.test(file.name)) {
        try {
          decoded = await decodeBlob(file);
        } catch (err) {
          browserError = err;
        }
      }
      if (decoded) {
        S.file = file;
        setPixels(decoded);
        setStatus("Opened " + file.name + " (" + S.w + " × " + S.h + ").");
      } else {
        await openViaServer(file, null, browserError !== null || BROWSER_TYPES.test(file.name));
      }
    } catch (err) {
      const why = err instanceof ApiError ? err.message : "";
      failOpen(file, why.includes(file.name) ? why : "“" + file.name + "” could not be opened" + (why ? ": " + why : "."));
    } finally {
      busy(-1);
      updateControls();
      requestRender();
    }
  }

  function failOpen(file, sentence) {
    S.file = null;
    S.pixels = null;
    S.viewable = false;
    S.w = 0;
    S.h = 0;
    $("file-name").textContent = "No image open";
    $("empty").hidden = false;
    setStatus("");
    showError(sentence);
    updateControls();
    requestRender();
  }

  /** Ask the server for a preview of an image the browser cannot decode (TIFF, DICOM,
   * NIfTI, NRRD; and any file the browser failed on, so that its error is the server's). */
  async function openViaServer(file, slice, browserFailed) {
    const form = new FormData();
    form.append("image", file, "upload");
    if (slice !== null) form.append("slice", String(slice)); // else the server's middle slice
    let resp;
    try {
      resp = await api("/api/preview", { method: "POST", body: form });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
        if (browserFailed) {
          throw new ApiError(
            "“" + file.name + "” could not be read as an image: it is not a valid PNG, JPEG or BMP file.",
          );
        }
        // No preview on this server: the file can still be predicted with a mask file.
        S.file = file;
        S.viewable = false;
        S.w = 0;
        S.h = 0;
        $("empty").hidden = false;
        $("empty").textContent =
          "This server cannot show " + file.name + ": load its mask file, then predict.";
        setStatus("Opened " + file.name + " without a preview.");
        return;
      }
      throw err;
    }
    const body = await resp.json();
    const decoded = await decodeBlob(base64ToBlob(body.png, "image/png"));
    S.file = file;
    S.format = body.format || "";
    S.slices = Math.max(1, body.slices || body.depth || 1);
    S.slice = body.slice || 0;
    setPixels(decoded, slice !== null);
    const bar = $("slice-bar");
    bar.hidden = S.slices <= 1;
    $("slice").max = String(S.slices - 1);
    $("slice").value = String(S.slice);
    $("slice-out").textContent = String(S.slice + 1);
    $("slice-count").textContent = String(S.slices);
    if (S.slices > 1 && !["pan", "box", "seed"].includes(S.mode)) setMode("box");
    setStatus("Opened " + file.name + " (" + S.w + " × " + S.h + (S.slices > 1 ? " × " + S.slices : "") + ").");
  }

  function setPixels(decoded, keepView) {
    const sameSize = decoded.w === S.w && decoded.h === S.h;
    S.w = decoded.w;
    S.h = decoded.h;
    S.pixels = decoded.data;
    S.viewable = true;
    base.width = S.w;
    base.height = S.h;
    overlay.width = S.w;
    overlay.height = S.h;
    $("empty").hidden = true;
    $("empty").textContent = "Open an image to begin.";
    if (!keepView || !sameSize) {
      S.wl = { window: 255, level: 127.5 };
      $("window").value = "255";
      $("level").value = "127.5";
      S.cursor = { x: Math.floor(S.w / 2), y: Math.floor(S.h / 2) };
      fit();
    }
    rebuildBase();
    rebuildOverlay();
  }

  /* ---------- drawing ---------- */

  function rebuildBase() {
    if (!S.pixels) return;
    const lo = S.wl.level - S.wl.window / 2;
    const lut = new Uint8ClampedArray(256);
    for (let v = 0; v < 256; v++) lut[v] = Math.round(((v - lo) / S.wl.window) * 255);
    const img = new ImageData(S.w, S.h);
    const src = S.pixels;
    const dst = img.data;
    for (let i = 0; i < src.length; i += 4) {
      dst[i] = lut[src[i]];
      dst[i + 1] = lut[src[i + 1]];
      dst[i + 2] = lut[src[i + 2]];
      dst[i + 3] = 255;
    }
    base.getContext("2d").putImageData(img, 0, 0);
    requestRender();
  }

  let overlayData = null;

  /** Redraw the outline overlay, all of it or only the pixels of [x0, y0, x1, y1]
   * (inclusive; a brush stroke changes little of a large image). */
  function rebuildOverlay(rect) {
    if (!S.w || !S.viewable) return;
    const w = S.w;
    const h = S.h;
    if (!overlayData || overlayData.width !== w || overlayData.height !== h) {
      overlayData = new ImageData(w, h);
      rect = null;
    }
    let c0 = 0;
    let r0 = 0;
    let c1 = w - 1;
    let r1 = h - 1;
    if (rect) {
      // one more pixel around: the edge of its neighbours may change too
      c0 = Math.max(0, Math.floor(rect[0]) - 1);
      r0 = Math.max(0, Math.floor(rect[1]) - 1);
      c1 = Math.min(w - 1, Math.ceil(rect[2]) + 1);
      r1 = Math.min(h - 1, Math.ceil(rect[3]) + 1);
      if (c1 < c0 || r1 < r0) return;
    }
    const d = overlayData.data;
    const m = S.slices > 1 && S.maskSlice !== S.slice ? null : S.mask;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const i = r * w + c;
        const j = 4 * i;
        if (!m || !m[i]) {
          d[j + 3] = 0;
          continue;
        }
        const edge = c === 0 || r === 0 || c === w - 1 || r === h - 1 || !m[i - 1] || !m[i + 1] || !m[i - w] || !m[i + w];
        if (edge) {
          d[j] = 255;
          d[j + 1] = 214;
          d[j + 2] = 0;
          d[j + 3] = 255;
        } else {
          d[j] = 0;
          d[j + 1] = 190;
          d[j + 2] = 255;
          d[j + 3] = 56;
        }
      }
    }
    overlay.getContext("2d").putImageData(overlayData, 0, 0, c0, r0, c1 - c0 + 1, r1 - r0 + 1);
    requestRender();
  }

  function requestRender() {
    if (renderQueued) return;
    renderQueued = true;
    window.requestAnimationFrame(() => {
      renderQueued = false;
      render();
    });
  }

  function sizeCanvas() {
    const wrap = $("canvas-wrap");
    const dpr = window.devicePixelRatio || 1;
    const cw = Math.max(1, wrap.clientWidth);
    const ch = Math.max(1, wrap.clientHeight);
    if (canvas.width !== Math.round(cw * dpr) || canvas.height !== Math.round(ch * dpr)) {
      canvas.width = Math.round(cw * dpr);
      canvas.height = Math.round(ch * dpr);
    }
    return { cw: cw, ch: ch, dpr: dpr };
  }

  function toScreen(x, y) {
    return [x * S.view.scale + S.view.ox, y * S.view.scale + S.view.oy];
  }

  function render() {
    const { cw, ch, dpr } = sizeCanvas();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, cw, ch);
    if (!S.viewable) return;
    if (S.fitted) fitView(cw, ch); // the window changed size: the image still fits
    const v = S.view;
    ctx.save();
    ctx.imageSmoothingEnabled = v.scale < 1;
    ctx.setTransform(dpr * v.scale, 0, 0, dpr * v.scale, dpr * v.ox, dpr * v.oy);
    ctx.drawImage(base, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(overlay, 0, 0);
    ctx.restore();

    ctx.lineWidth = 2;
    // box being dragged or anchored from the keyboard
    let box = null;
    if (S.drag && S.drag.kind === "box") box = [S.drag.x0, S.drag.y0, S.drag.x1, S.drag.y1];
    else if (S.boxAnchor && S.cursor)
      box = [S.boxAnchor.x + 0.5, S.boxAnchor.y + 0.5, S.cursor.x + 0.5, S.cursor.y + 0.5];
    if (box) {
      const [a, b] = toScreen(Math.min(box[0], box[2]), Math.min(box[1], box[3]));
      const [c, d] = toScreen(Math.max(box[0], box[2]), Math.max(box[1], box[3]));
      ctx.strokeStyle = "#00e0ff";
      ctx.setLineDash([6, 4]);
      ctx.strokeRect(a, b, c - a, d - b);
      ctx.setLineDash([]);
    }
    // polygon in progress
    if (S.poly.length) {
      ctx.strokeStyle = "#ff5ad1";
      ctx.beginPath();
      S.poly.forEach((p, i) => {
        const [x, y] = toScreen(p[0], p[1]);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      if (S.mode === "polygon" && S.cursor && !(S.drag && S.drag.kind === "freehand")) {
        const [x, y] = toScreen(S.cursor.fx !== undefined ? S.cursor.fx : S.cursor.x + 0.5, S.cursor.fy !== undefined ? S.cursor.fy : S.cursor.y + 0.5);
        ctx.lineTo(x, y);
      }
      ctx.stroke();
      const [fx, fy] = toScreen(S.poly[0][0], S.poly[0][1]);
      ctx.fillStyle = "#ff5ad1";
      ctx.fillRect(fx - 4, fy - 4, 8, 8);
    }
    // corners of the closed polygon, to be moved
    if (S.mode === "polygon" && !S.poly.length && S.editPoly) {
      ctx.fillStyle = "#ff5ad1";
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1;
      for (const q of S.editPoly) {
        const [x, y] = toScreen(q[0], q[1]);
        ctx.fillRect(x - 3.5, y - 3.5, 7, 7);
        ctx.strokeRect(x - 3.5, y - 3.5, 7, 7);
      }
      ctx.lineWidth = 2;
    }
    // brush outline
    if ((S.mode === "add" || S.mode === "erase") && S.brushAt) {
      const [x, y] = toScreen(S.brushAt[0], S.brushAt[1]);
      ctx.strokeStyle = S.mode === "add" ? "#7dff7a" : "#ff7a7a";
      ctx.beginPath();
      ctx.arc(x, y, brushRadius() * v.scale, 0, 2 * Math.PI);
      ctx.stroke();
    }
    // keyboard cursor
    if (S.cursor && document.activeElement === canvas) {
      const [x, y] = toScreen(S.cursor.x + 0.5, S.cursor.y + 0.5);
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x - 10, y);
      ctx.lineTo(x - 3, y);
      ctx.moveTo(x + 3, y);
      ctx.lineTo(x + 10, y);
      ctx.moveTo(x, y - 10);
      ctx.lineTo(x, y - 3);
      ctx.moveTo(x, y + 3);
      ctx.lineTo(x, y + 10);
      ctx.stroke();
    }
  }

  /* ---------- view: zoom, pan, window/level ---------- */

  function fitView(cw, ch) {
    const s = Math.min(cw / S.w, ch / S.h) * 0.96;
    S.view.scale = s;
    S.view.ox = (cw - S.w * s) / 2;
    S.view.oy = (ch - S.h * s) / 2;
  }

  function fit() {
    const { cw, ch } = sizeCanvas();
    if (!S.w) return;
    S.fitted = true;
    fitView(cw, ch);
    requestRender();
  }

  function zoomAt(factor, sx, sy) {
    const v = S.view;
    S.fitted = false;
    const ns = Math.min(64, Math.max(0.05, v.scale * factor));
    v.ox = sx - ((sx - v.ox) * ns) / v.scale;
    v.oy = sy - ((sy - v.oy) * ns) / v.scale;
    v.scale = ns;
    requestRender();
  }

  function zoomCentre(factor) {
    const { cw, ch } = sizeCanvas();
    zoomAt(factor, cw / 2, ch / 2);
  }

  function setWL(window_, level) {
    S.wl.window = Math.min(255, Math.max(1, window_));
    S.wl.level = Math.min(255, Math.max(0, level));
    $("window").value = String(S.wl.window);
    $("level").value = String(S.wl.level);
    rebuildBase();
  }

  function autoWL() {
    if (!S.pixels) return;
    const hist = new Uint32Array(256);
    const p = S.pixels;
    for (let i = 0; i < p.length; i += 4) hist[Math.round(0.299 * p[i] + 0.587 * p[i + 1] + 0.114 * p[i + 2])]++;
    const n = p.length / 4;
    let acc = 0;
    let lo = 0;
    let hi = 255;
    for (let v = 0; v < 256; v++) {
      acc += hist[v];
      if (acc < 0.01 * n) lo = v;
      if (acc <= 0.99 * n) hi = v;
    }
    if (hi <= lo) hi = lo + 1;
    setWL(hi - lo, (hi + lo) / 2);
  }

  /* ---------- the mask ---------- */

  function pushUndo() {
    S.undo.push(S.mask ? S.mask.slice() : null);
    // at most UNDO_DEPTH steps and about 64 MB of copies (large images keep fewer)
    const depth = Math.max(3, Math.min(UNDO_DEPTH, Math.floor((64 << 20) / Math.max(1, S.w * S.h))));
    while (S.undo.length > depth) S.undo.shift();
  }

  function setMask(mask, origin) {
    S.editPoly = null;
    S.prompt = null;
    S.maskSlice = S.slice;
    S.mask = mask;
    S.maskFile = null;
    S.maskOrigin = origin;
    maskChanged(true);
  }

  function maskChanged(markStale) {
    rebuildOverlay();
    if (markStale && S.result) $("stale").hidden = false;
    updateControls();
  }

  function maskArea() {
    if (!S.mask) return 0;
    let n = 0;
    for (let i = 0; i < S.mask.length; i++) n += S.mask[i];
    return n;
  }

  function maskBounds() {
    // [x0, y0, x1, y1] of the outline, inclusive, or null
    if (!S.mask) return null;
    let x0 = S.w;
    let y0 = S.h;
    let x1 = -1;
    let y1 = -1;
    for (let r = 0; r < S.h; r++) {
      for (let c = 0; c < S.w; c++) {
        if (!S.mask[r * S.w + c]) continue;
        if (c < x0) x0 = c;
        if (c > x1) x1 = c;
        if (r < y0) y0 = r;
        if (r > y1) y1 = r;
      }
    }
    return x1 < 0 ? null : [x0, y0, x1, y1];
  }

  /** Pixels whose centres lie inside the polygon (even-odd rule). */
  function rasterisePolygon(poly, w, h) {
    const m = new Uint8Array(w * h);
    const n = poly.length;
    for (let r = 0; r < h; r++) {
      const yc = r + 0.5;
      const xs = [];
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const [xi, yi] = poly[i];
        const [xj, yj] = poly[j];
        if (yi > yc !== yj > yc) xs.push(xi + ((yc - yi) * (xj - xi)) / (yj - yi));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const c0 = Math.max(0, Math.ceil(xs[k] - 0.5));
        const c1 = Math.min(w - 1, Math.ceil(xs[k + 1] - 0.5) - 1);
        for (let c = c0; c <= c1; c++) m[r * w + c] = 1;
      }
    }
    return m;
  }

  function brushRadius() {
    return Number($("brush-size").value) / 2;
  }

  function paintDisc(x, y, value) {
    if (!S.mask) S.mask = new Uint8Array(S.w * S.h);
    const R = brushRadius();
    const r0 = Math.max(0, Math.floor(y - R));
    const r1 = Math.min(S.h - 1, Math.ceil(y + R));
    const c0 = Math.max(0, Math.floor(x - R));
    const c1 = Math.min(S.w - 1, Math.ceil(x + R));
    const R2 = Math.max(R * R, 0.25);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const dx = c + 0.5 - x;
        const dy = r + 0.5 - y;
        if (dx * dx + dy * dy <= R2) S.mask[r * S.w + c] = value;
      }
    }
  }

  function brushRect(a, b) {
    const R = brushRadius() + 1;
    return [Math.min(a[0], b[0]) - R, Math.min(a[1], b[1]) - R, Math.max(a[0], b[0]) + R, Math.max(a[1], b[1]) + R];
  }

  function paintSegment(a, b, value) {
    const step = Math.max(0.5, brushRadius() / 2);
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    const n = Math.max(1, Math.ceil(len / step));
    for (let i = 0; i <= n; i++) paintDisc(a[0] + ((b[0] - a[0]) * i) / n, a[1] + ((b[1] - a[1]) * i) / n, value);
  }

  function closePolygon() {
    if (S.poly.length < 3) {
      showError("A polygon needs at least three points.");
      return;
    }
    const m = rasterisePolygon(S.poly, S.w, S.h);
    S.lastPolygon = S.poly.map((p) => p.slice());
    S.poly = [];
    let n = 0;
    for (let i = 0; i < m.length; i++) n += m[i];
    if (!n) {
      showError("The polygon encloses no pixel centre: draw it larger.");
      requestRender();
      return;
    }
    clearError();
    pushUndo();
    setMask(m, "polygon");
    S.editPoly = S.lastPolygon.map((p) => p.slice());
    setStatus("Polygon outline: " + n + " pixels.");
  }

  /* ---------- outline requests ---------- */

  async function segment(params, label) {
    if (!S.file) return;
    clearError();
    if (S.segmentAbort) S.segmentAbort.abort();
    const abort = new AbortController();
    S.segmentAbort = abort;
    const form = new FormData();
    form.append("image", S.file, "upload");
    for (const k in params) form.append(k, params[k]);
    const slice = S.slice;
    if (S.slices > 1) form.append("slice", String(slice));
    busy(+1, "Outlining from the " + label + "…");
    try {
      const resp = await api("/api/segment", { method: "POST", body: form, signal: abort.signal });
      const decoded = await decodeBlob(await resp.blob());
      if (decoded.w !== S.w || decoded.h !== S.h) throw new ApiError("The server's outline is not of the image's size.");
      pushUndo();
      setMask(rgbaToMask(decoded.data, decoded.w, decoded.h), label);
      S.prompt = Object.assign({ slice: slice }, params);
      S.maskSlice = slice;
      setStatus("Outline from the " + label + ": " + maskArea() + " pixels. Correct it with the brush if needed, then predict.");
    } catch (err) {
      if (err.name === "AbortError") return;
      setStatus("");
      showError(err instanceof ApiError ? err.message : "The outline could not be made: " + err.message);
    } finally {
      if (S.segmentAbort === abort) S.segmentAbort = null;
      busy(-1);
    }
  }

  function boxFromPoints(x0, y0, x1, y1) {
    const cx0 = Math.max(0, Math.min(S.w - 1, Math.floor(Math.min(x0, x1))));
    const cy0 = Math.max(0, Math.min(S.h - 1, Math.floor(Math.min(y0, y1))));
    const cx1 = Math.max(0, Math.min(S.w - 1, Math.floor(Math.max(x0, x1))));
    const cy1 = Math.max(0, Math.min(S.h - 1, Math.floor(Math.max(y0, y1))));
    return [cx0, cy0, cx1, cy1];
  }

  function segmentBox(b) {
    if (b[2] - b[0] < 2 || b[3] - b[1] < 2) {
      showError("The box is too small: drag a box around the whole lesion.");
      return;
    }
    segment({ box: b.join(",") }, "box");
  }

  function segmentSeed(x, y) {
    segment({ seed: x + "," + y }, "seed");
  }

  /* ---------- pointer input ---------- */

  function eventPoint(ev) {
    const rect = canvas.getBoundingClientRect();
    const sx = ev.clientX - rect.left;
    const sy = ev.clientY - rect.top;
    return { sx: sx, sy: sy, x: (sx - S.view.ox) / S.view.scale, y: (sy - S.view.oy) / S.view.scale };
  }

  function inImage(p) {
    return p.x >= 0 && p.y >= 0 && p.x < S.w && p.y < S.h;
  }

  canvas.addEventListener("contextmenu", (ev) => ev.preventDefault());

  canvas.addEventListener("pointerdown", (ev) => {
    if (!S.viewable || S.busy) return;
    canvas.focus({ preventScroll: true });
    const p = eventPoint(ev);
    canvas.setPointerCapture(ev.pointerId);
    if (ev.button === 2) {
      S.drag = { kind: "wl", sx: p.sx, sy: p.sy, window: S.wl.window, level: S.wl.level };
      return;
    }
    if (ev.button === 1 || S.mode === "pan") {
      S.drag = { kind: "pan", sx: p.sx, sy: p.sy, ox: S.view.ox, oy: S.view.oy };
      return;
    }
    if (ev.button !== 0) return;
    S.cursor = { x: Math.floor(p.x), y: Math.floor(p.y) };
    if (S.mode === "box") {
      S.boxAnchor = null;
      S.drag = { kind: "box", x0: p.x, y0: p.y, x1: p.x, y1: p.y };
    } else if (S.mode === "seed") {
      S.drag = { kind: "seed", sx: p.sx, sy: p.sy };
    } else if (S.mode === "polygon") {
      const corner = S.poly.length ? -1 : nearCorner(p);
      if (corner >= 0) {
        // move a corner of the closed polygon: its outline follows
        pushUndo();
        S.drag = { kind: "corner", i: corner };
        return;
      }
      S.drag = { kind: "poly", sx: p.sx, sy: p.sy, moved: false, start: S.poly.length };
      if (S.poly.length >= 3 && nearFirstVertex(p)) {
        S.drag = null;
        closePolygon();
        return;
      }
      S.poly.push([clampX(p.x), clampY(p.y)]);
    } else if (S.mode === "add" || S.mode === "erase") {
      pushUndo();
      S.drag = { kind: "brush", last: [p.x, p.y] };
      const hadMask = !!S.mask;
      paintDisc(p.x, p.y, S.mode === "add" ? 1 : 0);
      S.maskOrigin = S.maskOrigin ? S.maskOrigin.replace(/ \(edited\)$/, "") + " (edited)" : "brush";
      S.maskFile = null;
      S.editPoly = null;
      S.prompt = null;
      rebuildOverlay(hadMask ? brushRect([p.x, p.y], [p.x, p.y]) : null);
    }
    updateControls();
    requestRender();
  });

  function clampX(x) {
    return Math.max(0, Math.min(S.w, x));
  }

  function clampY(y) {
    return Math.max(0, Math.min(S.h, y));
  }

  function nearCorner(p) {
    if (!S.editPoly) return -1;
    let best = -1;
    let bestD = 8;
    S.editPoly.forEach((q, i) => {
      const [x, y] = toScreen(q[0], q[1]);
      const d = Math.hypot(x - p.sx, y - p.sy);
      if (d <= bestD) {
        best = i;
        bestD = d;
      }
    });
    return best;
  }

  function nearFirstVertex(p) {
    const [fx, fy] = toScreen(S.poly[0][0], S.poly[0][1]);
    return Math.hypot(fx - p.sx, fy - p.sy) <= 8;
  }

  canvas.addEventListener("pointermove", (ev) => {
    if (!S.viewable) return;
    const p = eventPoint(ev);
    $("coords").textContent = inImage(p) ? "x " + Math.floor(p.x) + ", y " + Math.floor(p.y) : "";
    S.brushAt = [p.x, p.y];
    if (S.mode === "polygon") S.cursor = { x: Math.floor(p.x), y: Math.floor(p.y), fx: p.x, fy: p.y };
    const d = S.drag;
    if (d) {
      if (d.kind === "pan") {
        S.fitted = false;
        S.view.ox = d.ox + p.sx - d.sx;
        S.view.oy = d.oy + p.sy - d.sy;
      } else if (d.kind === "wl") {
        setWL(d.window + (p.sx - d.sx), d.level - (p.sy - d.sy) / 2);
      } else if (d.kind === "corner") {
        S.editPoly[d.i] = [clampX(p.x), clampY(p.y)];
        S.mask = rasterisePolygon(S.editPoly, S.w, S.h);
        rebuildOverlay();
      } else if (d.kind === "box") {
        d.x1 = p.x;
        d.y1 = p.y;
      } else if (d.kind === "poly" || d.kind === "freehand") {
        if (Math.hypot(p.sx - d.sx, p.sy - d.sy) >= 4) {
          d.kind = "freehand";
          d.moved = true;
          d.sx = p.sx;
          d.sy = p.sy;
          S.poly.push([clampX(p.x), clampY(p.y)]);
        }
      } else if (d.kind === "brush") {
        paintSegment(d.last, [p.x, p.y], S.mode === "add" ? 1 : 0);
        rebuildOverlay(brushRect(d.last, [p.x, p.y]));
        d.last = [p.x, p.y];
      }
    }
    requestRender();
  });

  canvas.addEventListener("pointerleave", () => {
    S.brushAt = null;
    $("coords").textContent = "";
    requestRender();
  });

  canvas.addEventListener("pointerup", (ev) => {
    const d = S.drag;
    S.drag = null;
    if (!d) return;
    const p = eventPoint(ev);
    if (d.kind === "box") {
      segmentBox(boxFromPoints(d.x0, d.y0, p.x, p.y));
    } else if (d.kind === "seed") {
      if (inImage(p)) segmentSeed(Math.floor(p.x), Math.floor(p.y));
      else showError("The seed must lie inside the image.");
    } else if (d.kind === "freehand") {
      if (S.poly.length - d.start >= 3) closePolygon();
    } else if (d.kind === "corner") {
      S.lastPolygon = S.editPoly.map((q) => q.slice());
      S.maskOrigin = "polygon";
      maskChanged(true);
      setStatus("Polygon outline: " + maskArea() + " pixels.");
    } else if (d.kind === "brush") {
      maskChanged(true);
    }
    updateControls();
    requestRender();
  });

  canvas.addEventListener("dblclick", (ev) => {
    if (S.mode !== "polygon") return;
    ev.preventDefault();
    // the two clicks of a double click added the same point twice
    if (S.poly.length >= 2) {
      const a = S.poly[S.poly.length - 1];
      const b = S.poly[S.poly.length - 2];
      if (Math.hypot(a[0] - b[0], a[1] - b[1]) * S.view.scale < 4) S.poly.pop();
    }
    if (S.poly.length >= 3) closePolygon();
  });

  canvas.addEventListener(
    "wheel",
    (ev) => {
      if (!S.viewable) return;
      ev.preventDefault();
      const p = eventPoint(ev);
      zoomAt(ev.deltaY < 0 ? 1.15 : 1 / 1.15, p.sx, p.sy);
    },
    { passive: false },
  );

  canvas.addEventListener("focus", requestRender);
  canvas.addEventListener("blur", requestRender);

  /* ---------- keyboard ---------- */

  canvas.addEventListener("keydown", (ev) => {
    if (!S.viewable || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (arrows[ev.key]) {
      ev.preventDefault();
      const [dx, dy] = arrows[ev.key];
      const step = ev.shiftKey ? 10 : 1;
      if (S.mode === "pan") {
        S.fitted = false;
        S.view.ox -= dx * step * 10;
        S.view.oy -= dy * step * 10;
      } else {
        const c = S.cursor || { x: Math.floor(S.w / 2), y: Math.floor(S.h / 2) };
        S.cursor = {
          x: Math.max(0, Math.min(S.w - 1, c.x + dx * step)),
          y: Math.max(0, Math.min(S.h - 1, c.y + dy * step)),
        };
        $("coords").textContent = "x " + S.cursor.x + ", y " + S.cursor.y;
        S.brushAt = [S.cursor.x + 0.5, S.cursor.y + 0.5];
        keepCursorVisible();
      }
      requestRender();
      return;
    }
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      if (S.busy) return;
      actAtCursor();
      return;
    }
    if (ev.key === "Escape") {
      if (S.boxAnchor || S.poly.length) {
        ev.preventDefault();
        S.boxAnchor = null;
        S.poly = [];
        setStatus("Cancelled.");
        updateControls();
        requestRender();
      }
    }
  });

  function keepCursorVisible() {
    const { cw, ch } = sizeCanvas();
    const [x, y] = toScreen(S.cursor.x + 0.5, S.cursor.y + 0.5);
    const m = 20;
    if (x < m || y < m || x > cw - m || y > ch - m) S.fitted = false;
    if (x < m) S.view.ox += m - x;
    if (x > cw - m) S.view.ox -= x - (cw - m);
    if (y < m) S.view.oy += m - y;
    if (y > ch - m) S.view.oy -= y - (ch - m);
  }

  function actAtCursor() {
    const c = S.cursor || { x: Math.floor(S.w / 2), y: Math.floor(S.h / 2) };
    S.cursor = { x: c.x, y: c.y };
    if (S.mode === "seed") {
      segmentSeed(c.x, c.y);
    } else if (S.mode === "box") {
      if (!S.boxAnchor) {
        S.boxAnchor = { x: c.x, y: c.y };
        setStatus("Box corner at x " + c.x + ", y " + c.y + ": move to the opposite corner and press Enter.");
      } else {
        const a = S.boxAnchor;
        S.boxAnchor = null;
        segmentBox(boxFromPoints(a.x, a.y, c.x, c.y));
      }
    } else if (S.mode === "polygon") {
      const p = [c.x + 0.5, c.y + 0.5];
      if (S.poly.length >= 3 && S.poly[0][0] === p[0] && S.poly[0][1] === p[1]) {
        closePolygon();
      } else {
        S.poly.push(p);
        setStatus("Polygon point " + S.poly.length + " at x " + c.x + ", y " + c.y + ".");
      }
    } else if (S.mode === "add" || S.mode === "erase") {
      pushUndo();
      paintDisc(c.x + 0.5, c.y + 0.5, S.mode === "add" ? 1 : 0);
      S.maskOrigin = S.maskOrigin ? S.maskOrigin.replace(/ \(edited\)$/, "") + " (edited)" : "brush";
      S.maskFile = null;
      S.editPoly = null;
      S.prompt = null;
      maskChanged(true);
    }
    updateControls();
    requestRender();
  }

  function typingTarget(el) {
    if (!el) return false;
    const tag = el.tagName;
    return (tag === "INPUT" && !["radio", "checkbox", "range", "button", "file"].includes(el.type)) || tag === "TEXTAREA" || el.isContentEditable;
  }

  document.addEventListener("keydown", (ev) => {
    if (typingTarget(ev.target)) return;
    if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && ev.key.toLowerCase() === "z") {
      ev.preventDefault();
      undo();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key;
    const lower = k.length === 1 ? k.toLowerCase() : k;
    if (MODE_KEYS[lower] && !ev.shiftKey) {
      ev.preventDefault();
      setMode(MODE_KEYS[lower]);
      return;
    }
    if (k === "+" || k === "=") zoomCentre(1.25);
    else if (k === "-" || k === "_") zoomCentre(1 / 1.25);
    else if (k === "0") fit();
    else if (lower === "u") undo();
    else if (lower === "c" && S.mode === "polygon") closePolygon();
    else if (k === "[") stepBrush(-1);
    else if (k === "]") stepBrush(+1);
    else if ((k === "PageUp" || k === "PageDown") && S.slices > 1) {
      ev.preventDefault();
      changeSlice((S.sliceWanted !== null ? S.sliceWanted : S.slice) + (k === "PageUp" ? 1 : -1));
    }
  });

  function stepBrush(d) {
    const el = $("brush-size");
    el.value = String(Math.max(1, Math.min(60, Number(el.value) + d * 2)));
    $("brush-size-out").textContent = el.value;
    requestRender();
  }

  function setMode(mode) {
    S.mode = mode;
    S.boxAnchor = null;
    if (mode !== "polygon") S.poly = [];
    for (const r of document.querySelectorAll('input[name="mode"]')) r.checked = r.value === mode;
    $("hint").textContent = HINTS[mode];
    canvas.dataset.mode = mode;
    setStatus("Tool: " + MODE_NAMES[mode] + ".");
    updateControls();
    requestRender();
  }

  function undo() {
    if (!S.undo.length) return;
    S.editPoly = null;
    S.prompt = null;
    S.mask = S.undo.pop();
    S.maskFile = null;
    S.maskOrigin = S.mask ? (S.maskOrigin || "outline").replace(/ \(edited\)$/, "") + " (edited)" : "";
    maskChanged(true);
    setStatus("Undone.");
  }

  /* ---------- mask upload ---------- */

  async function openMask(file) {
    if (!file) return;
    clearError();
    if (!S.file) {
      showError("Open the image first, then its mask.");
      return;
    }
    if (file.size === 0) {
      showError("“" + file.name + "” is empty.");
      return;
    }
    let decoded = null;
    if (S.viewable && S.slices === 1 && !SERVER_TYPES.test(file.name)) {
      try {
        decoded = await decodeBlob(file);
      } catch (_) {
        decoded = null;
      }
    }
    if (decoded) {
      if (decoded.w !== S.w || decoded.h !== S.h) {
        showError(
          "The mask is " + decoded.w + " × " + decoded.h + " pixels but the image is " + S.w + " × " + S.h + ": load the mask of this image.",
        );
        return;
      }
      const m = rgbaToMask(decoded.data, decoded.w, decoded.h);
      let n = 0;
      for (let i = 0; i < m.length; i++) n += m[i];
      if (n) {
        pushUndo();
        setMask(m, "uploaded mask");
        setStatus("Mask " + file.name + ": " + n + " pixels.");
        return;
      }
      // all zero as the browser decodes it (e.g. a 16-bit mask of 0/1, which the browser
      // scales to 8 bits): the server reads the values as stored
    }
    // A file the page cannot read (NIfTI, NRRD, DICOM SEG, or a broken file): sent as it is;
    // the server checks it and its answer or error is shown.
    pushUndo();
    S.mask = null;
    S.editPoly = null;
    S.prompt = null;
    S.maskFile = file;
    S.maskOrigin = "uploaded mask " + file.name;
    maskChanged(true);
    setStatus("Mask " + file.name + " will be sent as it is: predict to see it.");
  }

  /* ---------- prediction ---------- */

  async function predict() {
    if (!S.file || S.busy) return;
    clearError();
    if (!S.mask && !S.maskFile) {
      showError("Outline the lesion first: drag a box, click a seed, draw a polygon or load a mask.");
      return;
    }
    if (S.mask && !maskArea()) {
      showError("The outline is empty: outline the lesion first.");
      return;
    }
    const form = new FormData();
    form.append("image", S.file, "upload");
    const sentMask = S.mask ? S.mask.slice() : null;
    if (S.slices > 1 && !S.maskFile) {
      // a 3D image: the server outlines the slice again from the same box or seed (a drawn
      // 2D outline cannot be sent for a volume)
      if (!S.prompt) {
        showError("On a 3D image, outline with a box or a seed, or load a mask file of the whole volume.");
        return;
      }
      for (const k in S.prompt) form.append(k, String(S.prompt[k]));
    } else if (S.mask) {
      form.append("mask", await maskToPng(S.mask, S.w, S.h), "mask.png");
    } else {
      form.append("mask", S.maskFile, "mask");
    }
    busy(+1, "Predicting…");
    try {
      const resp = await api("/api/predict", { method: "POST", body: form });
      const result = await resp.json();
      S.result = result;
      S.resultMask = sentMask;
      if (result.mask_png && S.viewable) {
        try {
          const d = await decodeBlob(base64ToBlob(result.mask_png, "image/png"));
          if (d.w === S.w && d.h === S.h) {
            S.resultMask = rgbaToMask(d.data, d.w, d.h);
            if (!S.mask && S.slices === 1) {
              S.mask = S.resultMask.slice();
              S.maskFile = null;
              rebuildOverlay();
            }
          }
        } catch (_) {
          /* the outline sent stays the one shown */
        }
      }
      showResult(result);
      setStatus("Prediction: probability " + fmtProb(result.probability) + ", " + decisionText(result) + ".");
    } catch (err) {
      setStatus("");
      showError(err instanceof ApiError ? err.message : "The prediction failed: " + err.message);
    } finally {
      busy(-1);
    }
  }

  function fmtProb(p) {
    return typeof p === "number" ? p.toFixed(6) : String(p);
  }

  function fmtNum(v) {
    if (typeof v !== "number") return v === null || v === undefined ? "–" : String(v);
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
    return Number(v.toPrecision(4)).toString();
  }

  function positiveName() {
    const r = S.result || {};
    const m = S.model || {};
    return r.positive_class || m.positive_class || "the positive class";
  }

  function decisionText(r) {
    const d = r.decision;
    if (d === null || d === undefined) return "no decision";
    if (typeof d === "object") return String(d.label || d.name || JSON.stringify(d));
    if (d === true || d === 1) return positiveName();
    if (d === false || d === 0) return "not " + positiveName();
    return String(d);
  }

  function decisionPositive(r) {
    if (typeof r.decision_positive === "boolean") return r.decision_positive;
    if (r.decision === true || r.decision === 1) return true;
    if (typeof r.probability === "number" && typeof r.threshold === "number") return r.probability >= r.threshold;
    return decisionText(r) === positiveName();
  }

  function intervalParts(r) {
    let iv = r.interval;
    let method = r.interval_method || "";
    let level = r.interval_level;
    if (iv && !Array.isArray(iv) && typeof iv === "object") {
      method = method || iv.method || "";
      level = level || iv.level || iv.coverage;
      iv = [iv.low !== undefined ? iv.low : iv.lower, iv.high !== undefined ? iv.high : iv.upper];
    }
    if (!Array.isArray(iv) || iv.length < 2 || typeof iv[0] !== "number") return null;
    return { lo: iv[0], hi: iv[1], method: method, level: level };
  }

  function showResult(r) {
    $("result").hidden = false;
    $("stale").hidden = true;
    const p = r.probability;
    $("prob-label").textContent = "Probability of " + positiveName();
    $("probability").textContent = fmtProb(p);
    $("probability").dataset.value = String(p);
    $("prob-pct").textContent = typeof p === "number" ? "(" + (100 * p).toFixed(1) + " %)" : "";
    $("gauge-fill").style.width = (100 * Math.max(0, Math.min(1, p))).toFixed(2) + "%";
    if (typeof r.threshold === "number") {
      $("gauge-threshold").style.left = (100 * r.threshold).toFixed(2) + "%";
      $("gauge-threshold").hidden = false;
    } else {
      $("gauge-threshold").hidden = true;
    }
    const dec = decisionText(r);
    const positive = decisionPositive(r);
    $("decision").textContent =
      "Decision: " + dec + (typeof r.threshold === "number" ? " (probability " + (positive ? "at or above" : "below") + " the threshold " + fmtNum(r.threshold) + ")" : "");
    $("decision").className = "decision " + (positive ? "positive" : "negative");
    const iv = intervalParts(r);
    if (iv) {
      const lvl = typeof iv.level === "number" ? " " + (iv.level <= 1 ? 100 * iv.level : iv.level) + " %" : "";
      $("interval").textContent =
        "Interval" + lvl + ": " + iv.lo.toFixed(3) + " – " + iv.hi.toFixed(3) + (iv.method ? " (" + iv.method + ")" : " (method not stated)");
      $("gauge-interval").style.left = (100 * iv.lo).toFixed(2) + "%";
      $("gauge-interval").style.width = (100 * Math.max(0, iv.hi - iv.lo)).toFixed(2) + "%";
      $("gauge-interval").hidden = false;
    } else {
      $("interval").textContent = r.interval_method
        ? "No uncertainty interval (" + r.interval_method.replace(/^none:\s*/, "") + ")."
        : "No uncertainty interval given.";
      $("gauge-interval").hidden = true;
    }
    const ul = $("warnings");
    ul.textContent = "";
    const warnings = r.warnings || [];
    if (!warnings.length) {
      const li = document.createElement("li");
      li.className = "none";
      li.textContent = "None.";
      ul.appendChild(li);
    }
    for (const w of warnings) {
      const li = document.createElement("li");
      li.textContent = typeof w === "string" ? w : w.message || w.text || JSON.stringify(w);
      ul.appendChild(li);
    }
    $("explanation-method").textContent = explanationText(r);
    $("contrib-unit").textContent = r.explanation_scale ? "(" + r.explanation_scale + ")" : "";
    fillContributions(r.contributions || []);
    $("model-id").textContent = modelId(r);
    $("settings-hash").textContent = r.settings_hash || "–";
  }

  /** What the contributions are, in which units, and (exact methods: a base value is sent)
   * what they add up to: the probability (forests) or the log-odds (logistic regression,
   * gradient boosting). */
  function explanationText(r) {
    const scale = r.explanation_scale;
    const units =
      scale === "probability"
        ? " on the probability scale (+0.05 raises the probability by 0.05)"
        : scale === "log-odds"
          ? " in log-odds of " + positiveName()
          : scale
            ? " (" + scale + ")"
            : "";
    let t = "Contributions to the model's output" + units;
    t += r.explanation_method ? ": " + r.explanation_method + "." : ", largest first.";
    const list = r.contributions || [];
    if (typeof r.base_value === "number" && list.length) {
      const total = list.reduce((s, c) => s + (c.contribution || 0), r.base_value);
      t += " Base value " + fmtNum(r.base_value) + " + the " + list.length + " contributions = " + fmtNum(total);
      t += scale === "log-odds" ? " log-odds (probability " + fmtNum(1 / (1 + Math.exp(-total))) + ")." : scale === "probability" ? ", the probability." : ".";
    }
    return t;
  }

  function modelId(r) {
    const m = r.model;
    const id = r.model_id;
    if (!m && !id) return "–";
    const name = typeof m === "string" ? m : m ? String(m.id || m.name || JSON.stringify(m)) : "";
    return id && id !== name ? (name ? name + " (" + id + ")" : String(id)) : name;
  }

  function sortedContributions(list) {
    return list
      .slice()
      .sort((a, b) => Math.abs(b.contribution || 0) - Math.abs(a.contribution || 0));
  }

  function trainingText(c) {
    const t = c.training;
    if (!t || typeof t !== "object") return "";
    const parts = [];
    if (t.outside) parts.push(t.outside === "below" ? "below the training range" : t.outside === "above" ? "above the training range" : "outside the training range");
    else if (typeof t.percentile === "number") parts.push("percentile " + Math.round(t.percentile));
    if (typeof t.median === "number") parts.push("median " + fmtNum(t.median));
    if (typeof t.min === "number" && typeof t.max === "number") parts.push("range " + fmtNum(t.min) + " to " + fmtNum(t.max));
    return parts.join("; ");
  }

  function fillContributions(list) {
    const body = $("contributions").tBodies[0];
    body.textContent = "";
    const sorted = sortedContributions(list);
    const maxAbs = Math.max(1e-12, ...sorted.map((c) => Math.abs(c.contribution || 0)));
    sorted.forEach((c, i) => {
      const tr = document.createElement("tr");
      if (i >= 10) tr.className = "extra";
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = c.name || c.feature;
      name.title = c.feature;
      const value = document.createElement("td");
      value.textContent = fmtNum(c.value);
      const training = document.createElement("td");
      training.textContent = trainingText(c) || "–";
      const contrib = document.createElement("td");
      const v = c.contribution || 0;
      const bar = document.createElement("span");
      bar.className = "bar " + (v >= 0 ? "up" : "down");
      bar.style.width = ((48 * Math.abs(v)) / maxAbs).toFixed(1) + "px";
      bar.setAttribute("aria-hidden", "true");
      const num = document.createElement("span");
      num.textContent = (v >= 0 ? "+" : "−") + fmtNum(Math.abs(v));
      contrib.append(bar, num);
      tr.append(name, value, training, contrib);
      body.appendChild(tr);
    });
    $("contributions").classList.toggle("collapsed", sorted.length > 10);
    let more = $("contrib-more");
    if (sorted.length > 10) {
      if (!more) {
        more = document.createElement("button");
        more.type = "button";
        more.id = "contrib-more";
        more.addEventListener("click", () => {
          const t = $("contributions");
          t.classList.toggle("collapsed");
          more.textContent = t.classList.contains("collapsed") ? "Show all " + t.tBodies[0].rows.length + " features" : "Show the top 10";
          more.setAttribute("aria-expanded", t.classList.contains("collapsed") ? "false" : "true");
        });
        $("contributions").after(more);
      }
      more.hidden = false;
      more.textContent = "Show all " + sorted.length + " features";
      more.setAttribute("aria-expanded", "false");
    } else if (more) {
      more.hidden = true;
    }
  }

  /* ---------- model card ---------- */

  async function loadModel() {
    try {
      const resp = await api("/api/model");
      S.model = await resp.json();
      renderModel(S.model);
    } catch (err) {
      $("model-body").textContent = "";
      const p = document.createElement("p");
      p.textContent = "The model card could not be loaded.";
      $("model-body").appendChild(p);
      showError(err instanceof ApiError ? err.message : "The model card could not be loaded.");
    }
  }

  function humanKey(k) {
    return (k.charAt(0).toUpperCase() + k.slice(1)).replace(/_/g, " ");
  }

  function valueText(v) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number") return fmtNum(v);
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.map(valueText).join(", ");
    if (typeof v === "object") {
      if (typeof v.value === "number" && (v.ci || v.ci_low !== undefined)) return metricText(v);
      return Object.entries(v)
        .map(([k, x]) => humanKey(k) + ": " + valueText(x))
        .join("; ");
    }
    return String(v);
  }

  function metricText(m) {
    if (typeof m === "number") return fmtNum(m);
    if (!m || typeof m !== "object") return valueText(m);
    const v = m.value !== undefined ? m.value : m.estimate !== undefined ? m.estimate : m.mean;
    let ci = m.ci || m.ci95 || null;
    if (!ci && m.ci_low !== undefined) ci = [m.ci_low, m.ci_high];
    if (!ci && m.low !== undefined) ci = [m.low, m.high];
    let t = fmtNum(v);
    if (Array.isArray(ci) && ci.length === 2) t += " (95 % CI " + fmtNum(ci[0]) + " to " + fmtNum(ci[1]) + ")";
    return t;
  }

  const METRIC_NAMES = {
    auc: "AUC",
    pr_auc: "PR AUC",
    sensitivity: "Sensitivity",
    specificity: "Specificity",
    balanced_accuracy: "Balanced accuracy",
    brier: "Brier score",
    calibration_slope: "Calibration slope",
    calibration_intercept: "Calibration intercept",
  };

  function metricsList(metrics) {
    // [[name, text]] with each metric's confidence interval (key_ci) beside it
    const out = [];
    if (!metrics || typeof metrics !== "object") return out;
    for (const [k, v] of Object.entries(metrics)) {
      if (/_ci(_delong)?$/.test(k) || /_se_|_repeats$|_fold_/.test(k)) continue;
      if (k === "n_repeats") continue;
      let text = metricText(v);
      const ci = metrics[k + "_ci"];
      if (Array.isArray(ci) && ci.length === 2) text += " (95 % CI " + fmtNum(ci[0]) + " to " + fmtNum(ci[1]) + ")";
      out.push([METRIC_NAMES[k] || humanKey(k), text]);
    }
    return out;
  }

  function classesText(c) {
    if (!c) return "";
    if (Array.isArray(c)) return c.join(", ");
    if (typeof c === "object" && ("positive" in c || "negative" in c)) return c.negative + " (negative), " + c.positive + " (positive)";
    return valueText(c);
  }

  function cohortText(t) {
    if (!t || typeof t !== "object") return valueText(t);
    const parts = [];
    if (t.n_cases !== null && t.n_cases !== undefined) {
      let p = t.n_cases + " cases";
      if (t.n_positive !== null && t.n_positive !== undefined) p += " (" + t.n_positive + " positive, " + t.n_negative + " negative)";
      parts.push(p);
    }
    if (t.data) parts.push(String(t.data));
    return parts.join("; ");
  }

  function renderModel(card) {
    const body = $("model-body");
    body.textContent = "";
    const dl = document.createElement("dl");
    const add = (term, text) => {
      if (text === undefined || text === null || text === "") return;
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = text;
      dl.append(dt, dd);
    };
    add("Task", valueText(card.task));
    add("Classes", classesText(card.classes));
    add("Model", modelId(card));
    const thr = card.threshold;
    add("Threshold", typeof thr === "number" ? fmtNum(thr) + (card.threshold_rule ? " (" + card.threshold_rule + ")" : "") : "");
    add("Training cohort", cohortText(card.training_cohort || card.cohort));
    for (const [name, text] of metricsList(card.metrics)) add(name, text);
    add("Metrics from", valueText(card.metrics_source));
    add("Features", card.n_features !== undefined ? String(card.n_features) : "");
    add("Extraction", card.extraction && typeof card.extraction === "object" ? [card.extraction.name, card.extraction.description].filter(Boolean).join(": ") : valueText(card.extraction));
    add("Interval", valueText(card.interval || card.interval_method));
    add("Explanation", valueText(card.explanation || card.explanation_method));
    add("Training distribution", valueText(card.training_distribution));
    add("Intended use", valueText(card.intended_use));
    add("Settings hash", valueText(card.settings_hash));
    body.appendChild(dl);
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "Everything in the model card";
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify(card, null, 2);
    details.append(summary, pre);
    body.appendChild(details);
  }

  /* ---------- export ---------- */

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  function stem() {
    const n = S.file ? S.file.name : "case";
    return n.replace(/\.(nii\.gz|[^.]+)$/i, "").replace(/[^\w.-]+/g, "_") || "case";
  }

  async function downloadMask() {
    const m = S.mask;
    if (!m) return;
    const name = stem() + (S.slices > 1 ? "_slice" + S.maskSlice : "") + "_mask.png";
    download(await maskToPng(m, S.w, S.h), name);
    setStatus("Mask saved as " + name + ".");
  }

  /** The file name of a Content-Disposition header (filename*= first), or null. */
  function dispositionName(header) {
    if (!header) return null;
    const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
    if (star) {
      try {
        return decodeURIComponent(star[2].trim().replace(/^"|"$/g, "")).split(/[\\/]/).pop() || null;
      } catch (_) {
        /* fall through to filename= */
      }
    }
    const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(header);
    if (!plain) return null;
    const name = (plain[2] !== undefined ? plain[2] : plain[1]).trim();
    return name.split(/[\\/]/).pop() || null;
  }

  function isDicom() {
    return /dicom/i.test(S.format) || (!!S.file && /\.dcm$/i.test(S.file.name));
  }

  /** The outline as a file from the server: NIfTI mask or DICOM SEG (POST /api/export/mask). */
  async function exportMask(format) {
    if (!S.file || !S.mask || S.busy) return;
    clearError();
    if (!maskArea()) {
      showError("The outline is empty: outline the lesion first.");
      return;
    }
    const form = new FormData();
    form.append("image", S.file, "upload");
    form.append("mask", await maskToPng(S.mask, S.w, S.h), "mask.png");
    if (S.slices > 1) form.append("slice", String(S.maskSlice));
    form.append("format", format);
    const label = format === "nifti" ? "NIfTI mask" : "DICOM SEG";
    busy(+1, "Exporting the " + label + "…");
    try {
      const resp = await api("/api/export/mask", { method: "POST", body: form });
      const blob = await resp.blob();
      const name =
        dispositionName(resp.headers.get("Content-Disposition")) ||
        stem() + (format === "nifti" ? "_mask.nii.gz" : "_seg.dcm");
      download(blob, name);
      setStatus(label + " saved as " + name + ".");
    } catch (err) {
      setStatus("");
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
        showError("This app server cannot export masks yet (it has no POST /api/export/mask): download the mask as PNG instead.");
      } else {
        showError(err instanceof ApiError ? err.message : "The export failed: " + err.message);
      }
    } finally {
      busy(-1);
    }
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
  }

  function caseImageDataUrl(mask) {
    if (!S.viewable) return "";
    const c = document.createElement("canvas");
    const scale = Math.min(1, 640 / Math.max(S.w, S.h));
    c.width = Math.round(S.w * scale);
    c.height = Math.round(S.h * scale);
    const cx = c.getContext("2d");
    cx.imageSmoothingEnabled = true;
    cx.drawImage(base, 0, 0, c.width, c.height);
    if (mask) {
      const o = document.createElement("canvas");
      o.width = S.w;
      o.height = S.h;
      const img = new ImageData(S.w, S.h);
      for (let r = 0; r < S.h; r++) {
        for (let col = 0; col < S.w; col++) {
          const i = r * S.w + col;
          if (!mask[i]) continue;
          const edge =
            col === 0 || r === 0 || col === S.w - 1 || r === S.h - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - S.w] || !mask[i + S.w];
          if (!edge) continue;
          img.data.set([255, 214, 0, 255], 4 * i);
        }
      }
      o.getContext("2d").putImageData(img, 0, 0);
      // thicken the outline a little so that it survives the scaling
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]]) {
        cx.drawImage(o, dx / scale, dy / scale, S.w, S.h, 0, 0, c.width, c.height);
      }
    }
    return c.toDataURL("image/png");
  }

  function caseReportHtml() {
    const r = S.result;
    if (!r) return "";
    const iv = intervalParts(r);
    const rows = sortedContributions(r.contributions || [])
      .slice(0, 10)
      .map(
        (c) =>
          "<tr><td>" + esc(c.name || c.feature) + "<br><small>" + esc(c.feature) + "</small></td><td>" + esc(fmtNum(c.value)) +
          "</td><td>" + esc(trainingText(c) || "–") + "</td><td>" + esc((c.contribution >= 0 ? "+" : "−") + fmtNum(Math.abs(c.contribution || 0))) + "</td></tr>",
      )
      .join("");
    const warnings = (r.warnings || []).map((w) => "<li>" + esc(typeof w === "string" ? w : w.message || JSON.stringify(w)) + "</li>").join("") || "<li>None.</li>";
    const m = S.model || {};
    const auc = metricsList(m.metrics).find((x) => x[0] === "AUC");
    const img = caseImageDataUrl(S.resultMask);
    const when = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
    return (
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>radiomix case report: ' + esc(S.file ? S.file.name : "case") + "</title>" +
      "<style>@page{size:A4;margin:14mm}body{font:11pt/1.35 system-ui,sans-serif;color:#111;max-width:180mm;margin:0 auto}" +
      "h1{font-size:15pt;margin:0 0 2mm}h2{font-size:11.5pt;margin:4mm 0 1mm}.ruo{border:1.5px solid #a00;color:#a00;padding:1.5mm 3mm;font-weight:600}" +
      ".top{display:flex;gap:5mm;align-items:flex-start}.top img{max-width:88mm;max-height:88mm;border:1px solid #999}" +
      ".prob{font-size:18pt;font-weight:700}table{border-collapse:collapse;width:100%;font-size:9.5pt}td,th{border-bottom:1px solid #ccc;padding:1mm 1.5mm;text-align:left;vertical-align:top}" +
      "small{color:#555}code{font-size:9pt;word-break:break-all}footer{margin-top:4mm;font-size:8.5pt;color:#444}@media print{button{display:none}}</style></head><body>" +
      "<h1>radiomix case report</h1>" +
      '<p class="ruo">Research use only: the output of a research model, not a diagnosis.</p>' +
      '<div class="top">' + (img ? '<img alt="The image with the outline used" src="' + img + '">' : "") + "<div>" +
      "<p>Image: <b>" + esc(S.file ? S.file.name : "–") + "</b>" + (S.w ? " (" + S.w + " × " + S.h + ")" : "") + "<br>Outline: " + esc(S.maskOrigin || "–") + "</p>" +
      '<p>Probability of ' + esc(positiveName()) + ': <span class="prob" id="report-probability">' + esc(fmtProb(r.probability)) + "</span></p>" +
      "<p>Decision: <b>" + esc(decisionText(r)) + "</b>" + (typeof r.threshold === "number" ? " at threshold " + esc(fmtNum(r.threshold)) : "") + "</p>" +
      "<p>" + (iv ? "Interval: " + iv.lo.toFixed(3) + " – " + iv.hi.toFixed(3) + " (" + esc(iv.method || "method not stated") + ")" : "No uncertainty interval.") + "</p>" +
      "</div></div>" +
      "<h2>Warnings</h2><ul>" + warnings + "</ul>" +
      "<h2>What moved this prediction</h2><p><small>" + esc(explanationText(r)) + "</small></p>" +
      "<table><thead><tr><th>Feature</th><th>Value</th><th>Training</th><th>Contribution" + (r.explanation_scale ? " (" + esc(r.explanation_scale) + ")" : "") + "</th></tr></thead><tbody>" + rows + "</tbody></table>" +
      "<h2>Model</h2><p>Model: <code>" + esc(modelId(r)) + "</code><br>Settings hash: <code>" + esc(r.settings_hash || "–") + "</code>" +
      (m.task ? "<br>Task: " + esc(valueText(m.task)) : "") + (auc ? "<br>AUC: " + esc(auc[1]) + (m.metrics_source ? "; " + esc(m.metrics_source) : "") : "") +
      (m.intended_use ? "<br>Intended use: " + esc(valueText(m.intended_use)) : "") + "</p>" +
      "<footer>Made by the radiomix app on " + esc(when) + ". Research use only.</footer>" +
      '<p><button onclick="window.print()">Print</button></p>' +
      "</body></html>"
    );
  }

  function reportBlob() {
    return new Blob([caseReportHtml()], { type: "text/html" });
  }

  function openReport() {
    if (!S.result) return;
    const url = URL.createObjectURL(reportBlob());
    const w = window.open(url, "_blank");
    if (!w) showError("The browser blocked the new window: use Download case report instead.");
    window.setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  function downloadReport() {
    if (!S.result) return;
    download(reportBlob(), stem() + "_report.html");
    setStatus("Case report saved as " + stem() + "_report.html.");
  }

  /* ---------- slices ---------- */

  async function changeSlice(k) {
    if (!S.file || S.slices <= 1) return;
    S.sliceWanted = Math.max(0, Math.min(S.slices - 1, k));
    $("slice").value = String(S.sliceWanted);
    $("slice-out").textContent = String(S.sliceWanted + 1);
    if (S.sliceLoading) return; // the loop below fetches the latest wanted slice
    S.sliceLoading = true;
    busy(+1);
    try {
      while (S.sliceWanted !== null && S.sliceWanted !== S.slice) {
        const want = S.sliceWanted;
        setStatus("Slice " + (want + 1) + " of " + S.slices + "…");
        await openViaServer(S.file, want, false);
      }
    } catch (err) {
      showError(err instanceof ApiError ? err.message : "The slice could not be shown.");
    } finally {
      S.sliceLoading = false;
      S.sliceWanted = null;
      busy(-1);
      setStatus("Slice " + (S.slice + 1) + " of " + S.slices + (S.mask && S.maskSlice === S.slice ? " (outlined)." : "."));
    }
  }

  /* ---------- controls ---------- */

  function updateControls() {
    const idle = S.busy === 0;
    const has = !!S.file;
    const hasMask = !!(S.mask || S.maskFile);
    $("predict").disabled = !(idle && has && hasMask);
    $("mask-download").disabled = !S.mask;
    $("export-nifti").disabled = !(idle && has && S.mask);
    $("export-seg").disabled = !(idle && has && S.mask && isDicom());
    $("undo").disabled = !S.undo.length;
    $("clear-mask").disabled = !hasMask;
    $("close-polygon").disabled = !(S.mode === "polygon" && S.poly.length >= 3);
    // a 3D image: box and seed on a slice; drawn outlines are 2D only
    for (const r of document.querySelectorAll('input[name="mode"]')) {
      const ok = r.value === "pan" || (S.viewable && (S.slices <= 1 || r.value === "box" || r.value === "seed"));
      r.disabled = !ok;
    }
    $("brush-size").disabled = S.slices > 1;
  }

  function wire() {
    $("image-input").addEventListener("change", (ev) => {
      openImage(ev.target.files[0]);
      ev.target.value = "";
    });
    $("mask-input").addEventListener("change", (ev) => {
      openMask(ev.target.files[0]);
      ev.target.value = "";
    });
    for (const r of document.querySelectorAll('input[name="mode"]')) {
      r.addEventListener("change", () => {
        if (r.checked) setMode(r.value);
      });
    }
    $("brush-size").addEventListener("input", (ev) => {
      $("brush-size-out").textContent = ev.target.value;
      requestRender();
    });
    $("close-polygon").addEventListener("click", closePolygon);
    $("undo").addEventListener("click", undo);
    $("clear-mask").addEventListener("click", () => {
      pushUndo();
      S.mask = null;
      S.maskFile = null;
      S.maskOrigin = "";
      S.poly = [];
      S.editPoly = null;
      S.prompt = null;
      maskChanged(true);
      setStatus("Outline cleared.");
    });
    $("zoom-in").addEventListener("click", () => zoomCentre(1.25));
    $("zoom-out").addEventListener("click", () => zoomCentre(1 / 1.25));
    $("zoom-fit").addEventListener("click", fit);
    $("window").addEventListener("input", (ev) => setWL(Number(ev.target.value), S.wl.level));
    $("level").addEventListener("input", (ev) => setWL(S.wl.window, Number(ev.target.value)));
    $("wl-auto").addEventListener("click", autoWL);
    $("wl-reset").addEventListener("click", () => setWL(255, 127.5));
    $("slice").addEventListener("input", (ev) => changeSlice(Number(ev.target.value)));
    $("predict").addEventListener("click", predict);
    $("mask-download").addEventListener("click", downloadMask);
    $("export-nifti").addEventListener("click", () => exportMask("nifti"));
    $("export-seg").addEventListener("click", () => exportMask("dicom-seg"));
    $("report-open").addEventListener("click", openReport);
    $("report-download").addEventListener("click", downloadReport);

    const wrap = $("canvas-wrap");
    wrap.addEventListener("dragover", (ev) => {
      ev.preventDefault();
      wrap.classList.add("dropping");
    });
    wrap.addEventListener("dragleave", () => wrap.classList.remove("dropping"));
    wrap.addEventListener("drop", (ev) => {
      ev.preventDefault();
      wrap.classList.remove("dropping");
      const f = ev.dataTransfer && ev.dataTransfer.files[0];
      if (f) openImage(f);
    });

    if (typeof ResizeObserver === "function") {
      let first = true;
      new ResizeObserver(() => {
        if (first) {
          first = false;
          return;
        }
        requestRender();
      }).observe(wrap);
    }
    window.addEventListener("resize", requestRender);
  }

  function readToken() {
    const params = new URLSearchParams(window.location.search);
    const t = params.get("token");
    if (t) {
      S.token = t;
      params.delete("token");
      const q = params.toString();
      // the server has set its cookie: the token leaves the address bar and the history
      window.history.replaceState(null, "", window.location.pathname + (q ? "?" + q : "") + window.location.hash);
    }
  }

  // tests and scripts read the page's state through this small, read-only window
  window.radiomixApp = {
    state: () => ({
      width: S.w,
      height: S.h,
      mode: S.mode,
      maskArea: maskArea(),
      maskBounds: maskBounds(),
      maskOrigin: S.maskOrigin,
      polygon: S.poly.map((p) => p.slice()),
      lastPolygon: S.lastPolygon,
      editPolygon: S.editPoly,
      cursor: S.cursor ? { x: S.cursor.x, y: S.cursor.y } : null,
      slices: S.slices,
      slice: S.slice,
      maskSlice: S.maskSlice,
      prompt: S.prompt,
      busy: S.busy,
      format: S.format,
      result: S.result,
      view: Object.assign({}, S.view),
    }),
    toScreen: (x, y) => toScreen(x, y),
    pixel: (x, y) => (S.pixels ? S.pixels[4 * (y * S.w + x)] : null),
  };

  readToken();
  wire();
  setMode("box");
  setStatus("");
  updateControls();
  requestRender();
  loadModel();
})();
