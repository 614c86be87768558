// The sandbox's chat page: it shows each customer's conversation with the
// business and lets a person write as the customer. All text goes through
// textContent, never innerHTML: it is the customers' own.
"use strict";
let current = "";
let lastRender = "";
let numbers = []; // the business numbers served; a choice appears when there are several

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

async function post(body) {
  const r = await fetch("/sandbox/inbound", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  if (!r.ok) alert((await r.json()).error || r.status);
  await refresh();
}

function select(phone) {
  current = phone;
  lastRender = "";
  document.getElementById("head").textContent = "+" + phone;
  refresh();
}

async function refresh() {
  const list = await (await fetch("/sandbox/conversations")).json();
  const side = document.getElementById("list");
  side.replaceChildren(...list.conversations.map(c => {
    const d = el("div", "conv" + (c.phone === current ? " active" : ""));
    d.dataset.phone = c.phone;
    d.append(el("b", "", (c.name ? c.name + " " : "") + "+" + c.phone), el("small", "", c.last_text));
    d.onclick = () => select(c.phone);
    return d;
  }));
  if (!current) return;
  const conv = await (await fetch("/sandbox/conversation?phone=" + encodeURIComponent(current))).json();
  const key = JSON.stringify(conv.messages);
  if (key === lastRender) return;
  lastRender = key;
  const box = document.getElementById("msgs");
  box.replaceChildren(...conv.messages.map(m => {
    const b = el("div", "bubble " + m.direction);
    b.dataset.id = m.id;
    const t = el("div", "text", m.text);
    t.dir = "auto";
    b.append(t);
    const choices = (m.buttons || []).map(c => ({c, kind: m.list ? "list" : "button"}))
      .concat((m.quick_replies || []).map(c => ({c, kind: "quick_reply"})));
    if (m.direction === "out" && choices.length) {
      const wrap = el("div", "choices");
      for (const {c, kind} of choices) {
        const btn = el("button", "choice", c.title);
        btn.type = "button";
        btn.dataset.id = c.id;
        btn.dir = "auto";
        btn.onclick = () => {
          const body = {from: current, context_id: m.id, phone_number_id: m.number};
          if (kind === "quick_reply") body.quick_reply = {payload: c.id, text: c.title};
          else body[kind] = {id: c.id, title: c.title};
          post(body);
        };
        wrap.append(btn);
      }
      b.append(wrap);
    }
    const ticks = {sent: "✓", delivered: "✓✓", read: "✓✓ read", accepted: "…"};
    const to = numbers.length > 1 ? " " + (m.direction === "out" ? "from " : "to ") + display(m.number) : "";
    b.append(el("div", "meta", new Date(m.at).toLocaleTimeString() + to + (m.direction === "out" ? " " + (ticks[m.status] || m.status || "") : "")));
    return b;
  }));
  box.scrollTop = box.scrollHeight;
}

document.getElementById("new").onsubmit = e => {
  e.preventDefault();
  const p = document.getElementById("newphone").value.replace(/[^0-9]/g, "");
  if (p) { document.getElementById("newphone").value = ""; select(p); }
};
document.getElementById("compose").onsubmit = e => {
  e.preventDefault();
  const input = document.getElementById("text");
  if (!current || !input.value) return;
  const text = input.value;
  input.value = "";
  const body = {from: current, text};
  if (numbers.length > 1) body.phone_number_id = document.getElementById("number").value;
  post(body);
};

function display(id) {
  const n = numbers.find(n => n.phone_number_id === id);
  return "+" + (n ? n.display_phone_number : id);
}

async function loadNumbers() {
  numbers = (await (await fetch("/sandbox/numbers")).json()).numbers;
  const sel = document.getElementById("number");
  sel.replaceChildren(...numbers.map(n => {
    const o = el("option", "", display(n.phone_number_id));
    o.value = n.phone_number_id;
    return o;
  }));
  sel.hidden = numbers.length < 2;
}
setInterval(refresh, 1000);
loadNumbers().then(refresh);
