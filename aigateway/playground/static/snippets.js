"use strict";
// Ready-to-copy code for the OCR call just made: curl, the mistralai SDK and the openai SDK.
// Each reads the document from a file (no shell argument limit, so a 5 MB PDF works as is) and
// takes secrets from environment variables: the key typed into the page never appears here.
window.renderSnippets = (function () {
  const shQuote = (s) => "'" + String(s).replace(/'/g, "'\\''") + "'";
  const py = (v) => JSON.stringify(v).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
  const pyValue = (v) => (v === true ? "True" : v === false ? "False" : v === null ? "None" : py(v));

  // "0-2,5" → [0, 1, 2, 5] (like the gateway reads it); null when it is not that simple.
  function pageList(text) {
    if (!text) return null;
    const out = [];
    for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
      const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
      if (!m) return null;
      const a = parseInt(m[1], 10);
      const b = m[2] === undefined ? a : parseInt(m[2], 10);
      if (b < a || out.length + b - a > 1000) return null;
      for (let i = a; i <= b; i++) out.push(i);
    }
    return out.length ? out : null;
  }

  function curl(endpoint, filename, opts, auth) {
    // curl -F takes a double-quoted file name, so ; and , in it are not option separators.
    const quoted = '"' + filename.replace(/[\\"]/g, (c) => "\\" + c) + '"';
    const lines = ["curl -s " + shQuote(endpoint)];
    if (auth) lines.push('-H "Authorization: Bearer $AIGW_API_KEY"');
    lines.push("-F " + shQuote("image=@" + quoted));
    if (opts.provider) lines.push("-F " + shQuote("provider=" + opts.provider));
    if (opts.pages) lines.push("-F " + shQuote("pages=" + opts.pages));
    if (opts.table_format) lines.push("-F table_format=" + opts.table_format);
    if (opts.force_ocr) lines.push("-F force_ocr=true");
    if (opts.include_image_base64) lines.push("-F include_image_base64=true");
    if (opts.pdf_password) lines.push('-F "pdf_password=$PDF_PASSWORD"');
    return lines.join(" \\\n  ");
  }

  function clientLine(cls, urlArg, url, auth) {
    const key = auth ? 'os.environ["AIGW_API_KEY"]' : '"none"';
    const comment = auth ? "" : "  # authentication is off on this gateway";
    return "client = " + cls + "(api_key=" + key + ", " + urlArg + "=" + py(url) + ")" + comment;
  }

  function mistral(endpoint, filename, mediaType, opts, auth) {
    const serverUrl = endpoint.replace(/\/v1\/ocr$/, "");
    const isImage = mediaType.startsWith("image/");
    const doc = isImage ? '{"type": "image_url", "image_url": data_uri}' : '{"type": "document_url", "document_url": data_uri}';
    const args = ["    model=" + (opts.provider ? py(opts.provider) : "None") + ",  # the entity (None: the route's default)", "    document=" + doc + ","];
    const pages = pageList(opts.pages);
    if (opts.pages) args.push("    pages=" + (pages ? py(pages) : py(opts.pages)) + ",");
    if (opts.table_format) args.push("    table_format=" + py(opts.table_format) + ",");
    if (opts.include_image_base64) args.push("    include_image_base64=True,");
    const notes = [];
    if (opts.force_ocr) notes.push("# force_ocr is a gateway option the SDK cannot send: use the curl or openai snippet for it.");
    if (opts.pdf_password) notes.push("# The SDK has no pdf_password: use the curl or openai snippet for an encrypted PDF.");
    return [
      "import base64",
      "import os",
      "",
      "from mistralai.client import Mistral  # mistralai 2.x+; 1.x: from mistralai import Mistral",
      "",
      ...notes,
      "with open(" + py(filename) + ', "rb") as f:',
      "    data_uri = " + py("data:" + mediaType + ";base64,") + " + base64.b64encode(f.read()).decode()",
      "",
      clientLine("Mistral", "server_url", serverUrl, auth),
      "response = client.ocr.process(",
      ...args,
      ")",
      "for page in response.pages:",
      "    print(page.markdown)",
    ].join("\n");
  }

  function openai(endpoint, filename, opts, auth) {
    const baseUrl = endpoint.replace(/\/ocr$/, "");
    const extra = {};
    if (opts.provider) extra.provider = opts.provider;
    if (opts.pages) extra.pages = opts.pages;
    if (opts.table_format) extra.table_format = opts.table_format;
    if (opts.force_ocr) extra.force_ocr = true;
    if (opts.include_image_base64) extra.include_image_base64 = true;
    const body = Object.entries(extra).map(([k, v]) => "    " + py(k) + ": " + pyValue(v) + ",");
    if (opts.pdf_password) body.push('    "pdf_password": os.environ["PDF_PASSWORD"],');
    return [
      "import base64",
      "import os",
      "",
      "from openai import OpenAI",
      "",
      clientLine("OpenAI", "base_url", baseUrl, auth),
      "with open(" + py(filename) + ', "rb") as f:',
      "    document = base64.b64encode(f.read()).decode()",
      "body = {",
      '    "document_base64": document,',
      ...body,
      "}",
      "# The openai SDK has no OCR method: post the Mistral-compatible body to /ocr under base_url.",
      'response = client.post("/ocr", cast_to=object, body=body)',
      'for page in response["pages"]:',
      '    print(page["markdown"])',
    ].join("\n");
  }

  function block(title, id, code) {
    const section = document.createElement("section");
    section.className = "snippet";
    const h = document.createElement("h4");
    h.id = id + "-title";
    h.textContent = title;
    const pre = document.createElement("pre");
    pre.className = "snippet";
    pre.id = id;
    pre.tabIndex = 0;
    pre.setAttribute("aria-labelledby", h.id);
    pre.textContent = code;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Copy " + title;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(code);
        button.textContent = "Copied";
      } catch (_) {
        // No clipboard permission: select the text so Ctrl+C copies it.
        const range = document.createRange();
        range.selectNodeContents(pre);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
      setTimeout(() => { button.textContent = "Copy " + title; }, 2500);
    });
    section.append(h, button, pre);
    return section;
  }

  return function render(endpoint, filename, mediaType, opts, auth) {
    const wrap = document.createElement("section");
    wrap.setAttribute("aria-labelledby", "snippets-title");
    const h = document.createElement("h3");
    h.id = "snippets-title";
    h.textContent = "The same call in code";
    const note = document.createElement("p");
    note.className = "muted";
    note.textContent = "Run these next to " + filename + (auth ? ", with your key in the AIGW_API_KEY environment variable" : "") + (opts.pdf_password ? " and the PDF password in PDF_PASSWORD" : "") + ".";
    wrap.append(h, note,
      block("curl", "snippet-curl", curl(endpoint, filename, opts, auth)),
      block("mistralai (Python)", "snippet-mistralai", mistral(endpoint, filename, mediaType, opts, auth)),
      block("openai (Python)", "snippet-openai", openai(endpoint, filename, opts, auth)));
    return wrap;
  };
})();
