"use strict";
// The playground: OCR a document and chat with a model through this gateway. The API key lives
// in one variable of this page (never in storage, cookies or URLs). Endpoints in the config
// are relative to the gateway's root, which is this page's directory: the page works under any
// mount prefix.
(function () {
  const config = JSON.parse(document.getElementById("config").textContent);
  const root = new URL(location.pathname.replace(/playground\/?$/, ""), location.origin);
  const abs = (rel) => new URL(rel, root).href;
  const $ = (id) => document.getElementById(id);
  let apiKey = "";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) {
      if (c !== null && c !== undefined) node.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  function authHeaders(extra) {
    const h = Object.assign({}, extra || {});
    if (apiKey) h.Authorization = "Bearer " + apiKey;
    return h;
  }

  function setStatus(id, text, isError) {
    const node = $(id);
    node.textContent = text;
    node.className = isError ? "error" : "";
  }

  async function errorText(resp) {
    const text = await resp.text();
    try {
      const e = JSON.parse(text).error;
      if (e && e.message) return resp.status + " " + (e.code || e.type || "") + (e.param ? " (" + e.param + ")" : "") + ": " + e.message;
    } catch (_) { /* not the envelope */ }
    return resp.status + ": " + text.slice(0, 300);
  }

  // --- tabs (arrow keys, Home/End) ------------------------------------------------------------
  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  function selectTab(tab) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
    tab.focus();
  }
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (e) => {
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      selectTab(tabs[(next + tabs.length) % tabs.length]);
    });
  });

  // --- endpoints, entities and models ---------------------------------------------------------
  function fill(select, options) {
    select.replaceChildren(...options.map(([value, label]) => el("option", { value }, label)));
  }

  async function listModels(path) {
    const resp = await fetch(abs(path), { headers: authHeaders() });
    if (!resp.ok) throw new Error(await errorText(resp));
    return (await resp.json()).data || [];
  }

  async function refreshProviders() {
    const route = config.ocr[$("ocr-route").selectedIndex] || {};
    let ids = route.entities || [];
    if (!ids.length && route.models && (apiKey || !config.auth)) {
      try {
        ids = (await listModels(route.models)).filter((m) => m.type === "ocr").map((m) => m.id);
      } catch (e) { setStatus("ocr-status", "Could not list OCR entities: " + e.message, true); }
    }
    fill($("provider"), [["", "route default"], ...ids.map((id) => [id, id])]);
  }

  async function refreshModels() {
    const route = config.chat[$("chat-route").selectedIndex];
    if (!route) return;
    try {
      const models = (await listModels(route.models)).filter((m) => m.type !== "ocr");
      fill($("model"), models.map((m) => [m.id, m.id]));
      setStatus("chat-status", models.length ? "" : "No chat model is available to this key.", !models.length);
    } catch (e) {
      fill($("model"), []);
      setStatus("chat-status", "Could not list models: " + e.message, true);
    }
  }

  fill($("ocr-route"), config.ocr.map((r) => [r.ocr, "/" + r.label]));
  fill($("chat-route"), config.chat.map((r) => [r.chat, "/" + r.label]));
  $("ocr-route").addEventListener("change", refreshProviders);
  $("chat-route").addEventListener("change", refreshModels);
  if (!config.ocr.length) setStatus("ocr-status", "No route of this gateway offers OCR.", true);
  if (!config.chat.length) setStatus("chat-status", "No route of this gateway offers chat models.", true);
  if (config.docs) $("links").append(el("a", { href: abs(config.docs) }, "API reference"));

  if (config.auth) {
    $("key-box").hidden = false;
    $("key-apply").addEventListener("click", async () => {
      apiKey = $("api-key").value.trim();
      setStatus("key-status", apiKey ? "Key set for this page." : "No key.", !apiKey);
      await Promise.all([refreshProviders(), config.chat.length ? refreshModels() : null]);
    });
    $("api-key").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); $("key-apply").click(); } });
    refreshProviders();
  } else {
    refreshProviders();
    if (config.chat.length) refreshModels();
  }

  // --- the document ---------------------------------------------------------------------------
  let file = null;
  let fileKind = null;

  async function sniff(f) {
    const b = new Uint8Array(await f.slice(0, 8).arrayBuffer());
    const s = String.fromCharCode(...b);
    if (s.startsWith("%PDF")) return ["pdf", "application/pdf"];
    if (s.startsWith("II*\u0000") || s.startsWith("MM\u0000*")) return ["tiff", "image/tiff"];
    if (s.startsWith("\u0089PNG")) return ["image", "image/png"];
    if (b[0] === 0xff && b[1] === 0xd8) return ["image", "image/jpeg"];
    if (s.startsWith("GIF8")) return ["image", "image/gif"];
    if (s.startsWith("BM")) return ["image", "image/bmp"];
    if (s.startsWith("RIFF")) return ["image", "image/webp"];
    return ["other", f.type || "application/octet-stream"];
  }

  async function setFile(f) {
    file = f || null;
    fileKind = file ? await sniff(file) : null;
    $("file-info").textContent = file ? file.name + " — " + file.size.toLocaleString() + " bytes, " + fileKind[1] : "";
  }
  $("file").addEventListener("change", () => setFile($("file").files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) { $("file").files = e.dataTransfer.files; setFile(e.dataTransfer.files[0]); }
  });

  // --- OCR ------------------------------------------------------------------------------------
  function options() {
    return {
      provider: $("provider").value,
      pages: $("pages").value.trim(),
      table_format: $("table-format").value,
      force_ocr: $("force-ocr").checked,
      include_image_base64: $("include-images").checked,
      pdf_password: $("pdf-password").value,
    };
  }

  function form(opts, forPreview) {
    const fd = new FormData();
    fd.append("image", file, file.name);
    if (opts.pages) fd.append("pages", opts.pages);
    if (opts.pdf_password) fd.append("pdf_password", opts.pdf_password);
    if (forPreview) return fd;
    if (opts.provider) fd.append("provider", opts.provider);
    if (opts.table_format) fd.append("table_format", opts.table_format);
    if (opts.force_ocr) fd.append("force_ocr", "true");
    if (opts.include_image_base64) fd.append("include_image_base64", "true");
    return fd;
  }

  async function pageImages(opts) {
    // Browsers show PNG/JPEG/GIF/WebP/BMP themselves; PDF pages and TIFF frames are rendered
    // by the gateway. A missing image never fails the run.
    if (fileKind[0] === "image") return { images: { 0: URL.createObjectURL(file) }, note: "" };
    if (fileKind[0] === "other") return { images: {}, note: "" };
    try {
      const resp = await fetch(abs(config.preview), { method: "POST", body: form(opts, true), headers: authHeaders() });
      if (!resp.ok) return { images: {}, note: "Page images unavailable: " + (await errorText(resp)) };
      const body = await resp.json();
      const images = {};
      for (const p of body.pages) images[p.index] = "data:" + p.media_type + ";base64," + p.data;
      return { images, note: body.truncated ? "Images are shown for the first " + config.preview_max_pages + " pages." : "" };
    } catch (e) {
      return { images: {}, note: "Page images unavailable: " + e.message };
    }
  }

  const KNOWN_PAGE_KEYS = new Set(["index", "markdown", "images", "dimensions"]);

  function shorten(value) {
    if (typeof value === "string") return value.length > 300 ? value.slice(0, 120) + "… (" + value.length + " characters)" : value;
    if (Array.isArray(value)) return value.map(shorten);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v)]));
    return value;
  }

  function imageSrc(img) {
    const b64 = img.image_base64;
    if (!b64) return null;
    if (b64.startsWith("data:image/")) return b64;
    const ext = (img.id.split(".").pop() || "").toLowerCase();
    const type = { jpg: "jpeg", jpeg: "jpeg", png: "png", gif: "gif", webp: "webp", bmp: "bmp" }[ext] || "png";
    return "data:image/" + type + ";base64," + b64;
  }

  function howRead(page) {
    const dl = el("dl", { class: "read" });
    const d = page.dimensions;
    if (d) dl.append(el("dt", {}, "size"), el("dd", {}, d.width + " × " + d.height + " px" + (d.dpi ? " at " + d.dpi + " dpi" : "")));
    for (const [k, v] of Object.entries(page)) {
      if (KNOWN_PAGE_KEYS.has(k) || v === null || v === undefined) continue;
      if (Array.isArray(v) && !v.length) continue;
      dl.append(el("dt", {}, k), el("dd", {}, typeof v === "object" ? JSON.stringify(shorten(v)) : String(v)));
    }
    return dl;
  }

  function renderPage(page, src) {
    const n = page.index + 1;
    const article = el("article", { class: "page", "aria-labelledby": "page-h-" + page.index });
    article.append(el("h3", { id: "page-h-" + page.index }, "Page " + n + " (index " + page.index + ")"));
    const figure = el("figure");
    if (src) figure.append(el("img", { src, alt: "Image of page " + n, class: "page-image" }));
    else figure.append(el("p", { class: "muted" }, "No image of this page."));
    const text = el("div", { class: "page-text" });
    text.append(el("h4", {}, "How it was read"), howRead(page));
    const images = {};
    for (const img of page.images || []) { const s = imageSrc(img); if (s) images[img.id] = s; }
    text.append(el("h4", {}, "Markdown"), window.renderMarkdown(page.markdown, images));
    article.append(figure, text);
    return article;
  }

  function renderResult(resp, body, ms, imgs, opts) {
    const out = $("ocr-result");
    const summary = el("dl", { class: "read summary-list" });
    const add = (k, v) => { if (v !== null && v !== undefined && v !== "") summary.append(el("dt", {}, k), el("dd", {}, String(v))); };
    add("time", Math.round(ms) + " ms (upload to last byte)");
    add("entity", resp.headers.get("x-aigateway-provider"));
    add("model", body.model);
    add("pages processed", body.usage_info && body.usage_info.pages_processed);
    add("document bytes", body.usage_info && body.usage_info.doc_size_bytes);
    add("request id", resp.headers.get("x-request-id"));
    if (body.document_annotation) add("document_annotation", body.document_annotation);
    out.append(el("h2", { id: "result-title", tabindex: "-1" }, "Result"), summary);
    if (imgs.note) out.append(el("p", { class: "muted" }, imgs.note));
    for (const page of body.pages || []) out.append(renderPage(page, imgs.images[page.index]));
    const raw = el("details", {}, el("summary", {}, "Raw JSON (long strings shortened)"));
    raw.append(el("pre", { class: "raw", id: "raw-json" }, JSON.stringify(shorten(body), null, 2)));
    out.append(raw);
    out.append(window.renderSnippets(abs(opts.endpoint), file.name, fileKind[1], opts, config.auth));
  }

  $("ocr-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!file) { setStatus("ocr-status", "Pick a document first.", true); $("file").focus(); return; }
    if (config.auth && !apiKey) { setStatus("ocr-status", "Enter your API key first.", true); $("api-key").focus(); return; }
    const route = config.ocr[$("ocr-route").selectedIndex];
    const opts = Object.assign(options(), { endpoint: route.ocr });
    const out = $("ocr-result");
    out.replaceChildren();
    out.setAttribute("aria-busy", "true");
    $("run").disabled = true;
    setStatus("ocr-status", "Running OCR on " + file.name + "…");
    const t0 = performance.now();
    try {
      const preview = pageImages(opts);
      const resp = await fetch(abs(route.ocr), { method: "POST", body: form(opts, false), headers: authHeaders() });
      if (!resp.ok) { setStatus("ocr-status", "Failed: " + (await errorText(resp)), true); return; }
      const body = await resp.json();
      const ms = performance.now() - t0;
      renderResult(resp, body, ms, await preview, opts);
      setStatus("ocr-status", "Done: " + (body.pages || []).length + " page(s) in " + Math.round(ms) + " ms.");
    } catch (err) {
      setStatus("ocr-status", "Failed: " + err.message, true);
    } finally {
      out.setAttribute("aria-busy", "false");
      $("run").disabled = false;
    }
  });

  // --- chat (SSE over fetch + ReadableStream) -------------------------------------------------
  let conversation = [];
  let controller = null;

  function message(role, text) {
    const node = el("div", { class: "msg " + role }, el("span", { class: "who" }, role === "user" ? "You" : "Assistant"));
    const body = el("div", { class: "text" }, text);
    node.append(body);
    $("conversation").append(node);
    return [node, body];
  }

  async function readStream(resp, body, onUsage) {
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let text = "";
    let first = null;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const events = buffer.split(/\r?\n\r?\n/);
      buffer = events.pop();
      for (const event of events) {
        const data = event.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
        if (!data) continue; // ": ping" keep-alives and other comments
        if (data === "[DONE]") return { text, first };
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error((chunk.error.code || chunk.error.type || "error") + ": " + chunk.error.message);
        if (chunk.usage) onUsage(chunk.usage);
        for (const choice of chunk.choices || []) {
          const piece = choice.delta && choice.delta.content;
          if (piece) {
            if (first === null) first = performance.now();
            text += piece;
            body.append(document.createTextNode(piece));
          }
        }
      }
    }
    return { text, first };
  }

  $("chat-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const route = config.chat[$("chat-route").selectedIndex];
    const text = $("message").value.trim();
    if (!route || !$("model").value) { setStatus("chat-status", "Choose a model first.", true); return; }
    if (!text) { setStatus("chat-status", "Write a message first.", true); $("message").focus(); return; }
    conversation.push({ role: "user", content: text });
    message("user", text);
    $("message").value = "";
    const [node, body] = message("assistant", "");
    node.setAttribute("aria-busy", "true");
    const system = $("system").value.trim();
    const request = {
      model: $("model").value,
      messages: system ? [{ role: "system", content: system }, ...conversation] : conversation,
      stream: true,
      stream_options: { include_usage: true },
    };
    controller = new AbortController();
    $("send").disabled = true;
    $("stop").disabled = false;
    setStatus("chat-status", "Streaming from " + request.model + "…");
    const t0 = performance.now();
    let usage = null;
    try {
      const resp = await fetch(abs(route.chat), {
        method: "POST",
        headers: authHeaders({ "content-type": "application/json" }),
        body: JSON.stringify(request),
        signal: controller.signal,
      });
      if (!resp.ok) throw new Error(await errorText(resp));
      const { text: answer, first } = await readStream(resp, body, (u) => { usage = u; });
      conversation.push({ role: "assistant", content: answer });
      const ms = Math.round(performance.now() - t0);
      const firstMs = first === null ? "" : ", first token after " + Math.round(first - t0) + " ms";
      const tokens = usage ? ", " + usage.total_tokens + " tokens" : "";
      setStatus("chat-status", "Done in " + ms + " ms" + firstMs + tokens + ".");
    } catch (err) {
      conversation.pop();
      const stopped = err.name === "AbortError";
      body.append(el("p", { class: "error" }, stopped ? "(stopped)" : "Error: " + err.message));
      setStatus("chat-status", stopped ? "Stopped." : "Failed: " + err.message, !stopped);
    } finally {
      node.setAttribute("aria-busy", "false");
      $("send").disabled = false;
      $("stop").disabled = true;
      controller = null;
    }
  });
  $("stop").addEventListener("click", () => { if (controller) controller.abort(); });
  $("clear").addEventListener("click", () => { conversation = []; $("conversation").replaceChildren(); setStatus("chat-status", "Conversation cleared."); });
})();
