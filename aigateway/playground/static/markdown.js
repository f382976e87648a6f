"use strict";
// A small, safe markdown renderer for OCR output: headings, paragraphs, lists, tables (pipe
// tables and the HTML tables of table_format=html), code blocks, quotes, images, links,
// emphasis. It builds DOM nodes and sets text with textContent: markup in the document is
// shown as text, never parsed as HTML. Images show only when they are data: URIs or images of
// the response (by id); links only for http(s) and mailto.
window.renderMarkdown = (function () {
  const SAFE_LINK = /^(https?:|mailto:)/i;
  const SAFE_IMAGE = /^data:image\/(png|jpe?g|gif|webp|bmp);base64,/i;

  function inline(text, images) {
    const frag = document.createDocumentFragment();
    // Images, links, code, bold, italics: the first match wins, left to right.
    const re = /!\[([^\]]*)\]\(([^)\s]*)\)|\[([^\]]+)\]\(([^)\s]+)\)|`([^`]+)`|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|<br\s*\/?>/gi;
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) frag.append(document.createTextNode(text.slice(last, m.index)));
      last = re.lastIndex;
      if (m[2] !== undefined) {
        const src = images[m[2]] || (SAFE_IMAGE.test(m[2]) ? m[2] : null);
        if (src) {
          const img = document.createElement("img");
          img.src = src;
          img.alt = m[1] || m[2];
          frag.append(img);
        } else {
          frag.append(document.createTextNode("[image: " + (m[1] || m[2]) + "]"));
        }
      } else if (m[4] !== undefined) {
        if (SAFE_LINK.test(m[4])) {
          const a = document.createElement("a");
          a.href = m[4];
          a.rel = "noopener noreferrer nofollow";
          a.target = "_blank";
          a.append(inline(m[3], images));
          frag.append(a);
        } else {
          frag.append(document.createTextNode(m[3]));
        }
      } else if (m[5] !== undefined) {
        const code = document.createElement("code");
        code.textContent = m[5];
        frag.append(code);
      } else if (m[6] !== undefined || m[7] !== undefined) {
        const b = document.createElement("strong");
        b.append(inline(m[6] !== undefined ? m[6] : m[7], images));
        frag.append(b);
      } else if (m[8] !== undefined) {
        const i = document.createElement("em");
        i.append(inline(m[8], images));
        frag.append(i);
      } else {
        frag.append(document.createElement("br"));
      }
    }
    if (last < text.length) frag.append(document.createTextNode(text.slice(last)));
    return frag;
  }

  function cells(line) {
    let s = line.trim();
    if (s.startsWith("|")) s = s.slice(1);
    if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
    return s.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
  }

  const SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

  function pipeTable(lines, images) {
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const c of cells(lines[0])) {
      const th = document.createElement("th");
      th.append(inline(c, images));
      head.append(th);
    }
    const body = table.createTBody();
    for (const line of lines.slice(2)) {
      const row = body.insertRow();
      for (const c of cells(line)) row.insertCell().append(inline(c, images));
    }
    return table;
  }

  // An HTML table from the OCR output is parsed in an inert document (no script runs, nothing
  // loads) and rebuilt from its cells' text: no attribute but colspan/rowspan survives.
  function htmlTable(source) {
    const parsed = new DOMParser().parseFromString(source, "text/html");
    const out = document.createElement("div");
    for (const t of parsed.querySelectorAll("table")) {
      if (t.parentElement && t.parentElement.closest("table")) continue;
      const table = document.createElement("table");
      const body = table.createTBody();
      for (const tr of t.querySelectorAll("tr")) {
        if (tr.closest("table") !== t) continue;
        const row = body.insertRow();
        for (const cell of tr.children) {
          const name = cell.tagName === "TH" ? "th" : "td";
          const c = document.createElement(name);
          c.textContent = cell.textContent.trim();
          for (const attr of ["colspan", "rowspan"]) {
            const v = parseInt(cell.getAttribute(attr) || "", 10);
            if (v > 1 && v < 1000) c.setAttribute(attr, String(v));
          }
          row.append(c);
        }
      }
      out.append(table);
    }
    return out;
  }

  const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

  function list(lines, images) {
    // Nested lists by indentation: a stack of [indent, list element].
    const stack = [];
    let top = null;
    for (const line of lines) {
      const m = LIST_ITEM.exec(line);
      if (!m) {
        const li = stack.length ? stack[stack.length - 1].el.lastElementChild : null;
        if (li) li.append(" ", inline(line.trim(), images));
        continue;
      }
      const indent = m[1].replace(/\t/g, "    ").length;
      const ordered = /\d/.test(m[2]);
      while (stack.length && stack[stack.length - 1].indent > indent) stack.pop();
      let current = stack.length ? stack[stack.length - 1] : null;
      if (!current || current.indent < indent) {
        const el = document.createElement(ordered ? "ol" : "ul");
        if (ordered && parseInt(m[2], 10) !== 1) el.start = parseInt(m[2], 10);
        if (current && current.el.lastElementChild) current.el.lastElementChild.append(el);
        else if (!top) top = el;
        else top.append(el);
        current = { indent, el };
        stack.push(current);
      }
      const li = document.createElement("li");
      li.append(inline(m[3], images));
      current.el.append(li);
    }
    return top;
  }

  return function render(markdown, images) {
    images = images || {};
    const out = document.createElement("div");
    out.className = "md";
    const lines = String(markdown || "").replace(/\r\n?/g, "\n").split("\n");
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      const trimmed = line.trim();
      if (!trimmed) { i++; continue; }
      let m;
      if ((m = /^(`{3,}|~{3,})/.exec(trimmed))) {
        const fence = m[1];
        const body = [];
        i++;
        while (i < lines.length && !lines[i].trim().startsWith(fence)) body.push(lines[i++]);
        i++;
        const pre = document.createElement("pre");
        const code = document.createElement("code");
        code.textContent = body.join("\n");
        pre.append(code);
        out.append(pre);
      } else if ((m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(trimmed))) {
        // Page headings are h3: the document's own levels go below them.
        const h = document.createElement("h" + Math.min(6, m[1].length + 3));
        h.append(inline(m[2], images));
        out.append(h);
        i++;
      } else if (/^<table[\s>]/i.test(trimmed)) {
        const block = [];
        while (i < lines.length) {
          block.push(lines[i]);
          if (/<\/table>/i.test(lines[i++])) break;
        }
        out.append(htmlTable(block.join("\n")));
      } else if (trimmed.startsWith("|") && i + 1 < lines.length && SEPARATOR.test(lines[i + 1])) {
        const block = [];
        while (i < lines.length && lines[i].trim().startsWith("|")) block.push(lines[i++]);
        out.append(pipeTable(block, images));
      } else if (/^(-{3,}|\*{3,}|_{3,})$/.test(trimmed.replace(/\s/g, ""))) {
        out.append(document.createElement("hr"));
        i++;
      } else if (trimmed.startsWith(">")) {
        const block = [];
        while (i < lines.length && lines[i].trim().startsWith(">")) block.push(lines[i++].trim().replace(/^>\s?/, ""));
        const q = document.createElement("blockquote");
        q.append(render(block.join("\n"), images));
        out.append(q);
      } else if (LIST_ITEM.test(line)) {
        const block = [];
        while (i < lines.length && lines[i].trim() && (LIST_ITEM.test(lines[i]) || /^\s{2,}\S/.test(lines[i]))) block.push(lines[i++]);
        out.append(list(block, images));
      } else {
        const block = [];
        while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|`{3,}|~{3,}|>|<table[\s>])/i.test(lines[i].trim()) && !(block.length && LIST_ITEM.test(lines[i]))) block.push(lines[i++].trim());
        const p = document.createElement("p");
        p.append(inline(block.join(" "), images));
        out.append(p);
      }
    }
    return out;
  };
})();
