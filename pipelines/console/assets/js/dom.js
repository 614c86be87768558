// Building the page from data. Every piece of data reaches the page as a
// text node or an attribute value, never as markup: nothing the hub
// returns (a member's name, a dead letter's payload) can run as script.

// el returns a new element with attributes and children. A child that is
// a string or number becomes a text node; null and undefined are left
// out. Attributes whose value is a function are event listeners
// ("onclick"); other attributes are set as plain values.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") {
      e.addEventListener(name.replace(/^on/, ""), value);
    } else if (name.startsWith("on")) {
      throw new Error("an event attribute needs a function: " + name);
    } else {
      e.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// clear empties e and fills it with children.
export function clear(e, ...children) {
  e.replaceChildren();
  append(e, children);
  return e;
}

// link is an anchor to a route of the console ("#/members/…").
export function link(route, text) {
  return el("a", { href: "#" + route }, text);
}

// table is a table with a header row; rows are arrays of cells, each a
// string, a number (aligned right) or a node. attrs go on the table.
export function table(headers, rows, attrs = {}) {
  return el("table", attrs,
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) =>
      el("td", typeof c === "number" ? { class: "num" } : {}, typeof c === "number" ? count(c) : c))))));
}

// dl is a definition list of [term, value] pairs; a value's id, when a
// third item is given, lets tests and links find it.
export function dl(pairs) {
  return el("dl", {}, pairs.flatMap(([k, v, id]) => [el("dt", {}, k), el("dd", id ? { id } : {}, v)]));
}

// badge shows a state, coloured by its class.
export function badge(text) {
  return el("span", { class: "status " + String(text || "none").replace(/[^A-Za-z0-9_-]/g, "") }, text || "–");
}

// time writes an RFC 3339 time as "2026-12-07 10:02:11 UTC"; empty for
// none.
export function time(s) {
  if (!s) return "";
  const d = new Date(s);
  if (isNaN(d.getTime()) || d.getUTCFullYear() < 1000) return "";
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

// count writes 12345 as "12,345".
export function count(n) {
  return Number(n || 0).toLocaleString("en-US");
}

// pct writes 0.1234 as "12.3%".
export function pct(x) {
  return (100 * (x || 0)).toFixed(1) + "%";
}
