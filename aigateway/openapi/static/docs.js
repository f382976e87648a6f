"use strict";
// The API reference page: renders the OpenAPI document embedded in the page (no fetch, no CDN).
// Every string from the document goes through textContent, never innerHTML.
(function () {
  const doc = JSON.parse(document.getElementById("openapi").textContent);
  const schemas = (doc.components && doc.components.schemas) || {};
  const responses = (doc.components && doc.components.responses) || {};
  // Paths are relative to the server URL ".", itself relative to openapi.json (a sibling of
  // this page): the base is this page's directory, whatever prefix the gateway is mounted at.
  const root = new URL(location.pathname.replace(/docs\/?$/, ""), location.origin).href;
  const base = root.replace(/\/$/, "");

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  // Descriptions use `code` spans only; everything else is plain text.
  function prose(text, tag) {
    const p = el(tag || "p");
    String(text || "").split(/(`[^`]*`)/).forEach((part) => {
      if (part.startsWith("`") && part.endsWith("`") && part.length > 1) p.append(el("code", {}, part.slice(1, -1)));
      else if (part) p.append(document.createTextNode(part));
    });
    return p;
  }

  function refName(ref) { return ref.split("/").pop(); }

  function typeLabel(s) {
    if (!s || Object.keys(s).length === 0) return el("span", { class: "muted" }, "any");
    if (s.$ref) { const n = refName(s.$ref); return el("a", { href: "#schema-" + n }, n); }
    const alts = s.anyOf || s.oneOf;
    if (alts) {
      const span = el("span");
      alts.forEach((a, i) => { if (i) span.append(" | "); span.append(typeLabel(a)); });
      return span;
    }
    if (s.enum) return el("span", {}, s.enum.map((v) => JSON.stringify(v)).join(" | "));
    if (s.const !== undefined) return el("span", {}, JSON.stringify(s.const));
    if (s.type === "array") { const span = el("span", {}, "array of "); span.append(typeLabel(s.items)); return span; }
    let t = Array.isArray(s.type) ? s.type.join(" | ") : (s.type || "any");
    if (s.format) t += " (" + s.format + ")";
    return el("span", {}, t);
  }

  function constraints(s) {
    const out = [];
    for (const k of ["minimum", "maximum", "minLength", "maxLength", "pattern", "default"]) {
      if (s && s[k] !== undefined) out.push(k + ": " + JSON.stringify(s[k]));
    }
    return out.join(", ");
  }

  function schemaTable(s) {
    if (s && s.$ref) s = schemas[refName(s.$ref)] || {};
    if (!s || s.type !== "object" || !s.properties) return el("p", {}, typeLabel(s));
    const required = new Set(s.required || []);
    const body = el("tbody");
    for (const [name, prop] of Object.entries(s.properties)) {
      const desc = el("td");
      if (prop.description) desc.append(prose(prop.description, "span"));
      const c = constraints(prop);
      if (c) desc.append(el("div", { class: "muted" }, c));
      body.append(el("tr", {},
        el("td", {}, el("code", {}, name), required.has(name) ? el("span", { class: "req" }, " required") : null),
        el("td", {}, typeLabel(prop)), desc));
    }
    return el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "description"))), body);
  }

  function curl(path, method, op) {
    let cmd = "curl -s " + (method === "get" ? "" : "-X " + method.toUpperCase() + " ") + base + path;
    if (doc.security && !(op.security && op.security.length === 0)) cmd += ' \\\n  -H "Authorization: Bearer $AIGW_API_KEY"';
    const content = op.requestBody && op.requestBody.content;
    if (content && content["multipart/form-data"]) cmd += " \\\n  -F image=@document.pdf -F pages=0-2";
    else if (content && content["application/json"]) cmd += " \\\n  -H 'content-type: application/json' -d @request.json";
    return cmd;
  }

  function operation(path, method, op) {
    const sec = el("section", { class: "op", id: op.operationId, "aria-labelledby": op.operationId + "-h" });
    sec.append(el("h3", { id: op.operationId + "-h" }, el("span", { class: "method " + method }, method), " " + path));
    if (op.summary) sec.append(el("p", {}, el("strong", {}, op.summary)));
    if (op.description) sec.append(prose(op.description));
    if (op.parameters && op.parameters.length) {
      sec.append(el("h4", {}, "Parameters"));
      const body = el("tbody");
      op.parameters.forEach((p) => body.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in + (p.required ? ", required" : "")), el("td", {}, typeLabel(p.schema)), el("td", {}, prose(p.description || "", "span")))));
      sec.append(el("table", {}, body));
    }
    if (op.requestBody) {
      sec.append(el("h4", {}, "Request body"));
      for (const [type, media] of Object.entries(op.requestBody.content)) {
        const d = el("details", { open: "" }, el("summary", {}, el("code", {}, type)));
        d.append(schemaTable(media.schema));
        if (media.example !== undefined) d.append(el("pre", {}, JSON.stringify(media.example, null, 2)));
        for (const ex of Object.values(media.examples || {})) {
          d.append(el("p", {}, ex.summary || "Example"), el("pre", {}, JSON.stringify(ex.value, null, 2)));
        }
        sec.append(d);
      }
    }
    sec.append(el("h4", {}, "Responses"));
    for (const [status, resp0] of Object.entries(op.responses || {})) {
      const resp = resp0.$ref ? responses[refName(resp0.$ref)] || {} : resp0;
      const d = el("details", {}, el("summary", {}, el("strong", {}, status), " " + (resp.description || "")));
      for (const [type, media] of Object.entries(resp.content || {})) {
        d.append(el("div", {}, el("code", {}, type)));
        if (media.schema && media.schema.description) d.append(prose(media.schema.description));
        d.append(schemaTable(media["x-event-schema"] || media.schema));
        if (media.example !== undefined) d.append(el("pre", {}, JSON.stringify(media.example)));
      }
      if (resp.headers) d.append(el("p", { class: "muted" }, "headers: " + Object.keys(resp.headers).join(", ")));
      sec.append(d);
    }
    sec.append(el("h4", {}, "Example"), el("pre", { class: "example" }, curl(path, method, op)));
    return sec;
  }

  document.getElementById("title").textContent = (doc.info.title || "API") + " " + (doc.info.version || "") + " — API reference";
  document.getElementById("base").textContent = base;
  const links = document.getElementById("links");
  links.append(el("a", { href: root + "openapi.json" }, "openapi.json"));
  if (doc.paths["/playground/preview"]) links.append(" · ", el("a", { href: root + "playground" }, "playground"));
  const main = document.getElementById("main");
  const nav = document.getElementById("nav");
  main.append(prose(doc.info.description));
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, op]);
    }
  }
  const tagInfo = new Map((doc.tags || []).map((t) => [t.name, t.description]));
  const order = [...tagInfo.keys()];
  const rank = (t) => (order.includes(t) ? order.indexOf(t) : order.length);
  for (const [tag, ops] of [...byTag].sort((a, b) => rank(a[0]) - rank(b[0]))) {
    nav.append(el("h2", {}, tag));
    const ul = el("ul");
    main.append(el("h2", { id: "tag-" + tag }, tag));
    if (tagInfo.get(tag)) main.append(prose(tagInfo.get(tag)));
    for (const [path, method, op] of ops) {
      ul.append(el("li", {}, el("a", { href: "#" + op.operationId }, method.toUpperCase() + " " + path)));
      main.append(operation(path, method, op));
    }
    nav.append(ul);
  }
  nav.append(el("h2", {}, "schemas"));
  const ul = el("ul");
  main.append(el("h2", { id: "schemas" }, "Schemas"));
  for (const [name, s] of Object.entries(schemas)) {
    ul.append(el("li", {}, el("a", { href: "#schema-" + name }, name)));
    const sec = el("section", { class: "op", id: "schema-" + name }, el("h3", {}, name));
    if (s.description) sec.append(prose(s.description));
    sec.append(schemaTable(s));
    main.append(sec);
  }
  nav.append(ul);
})();
