// Member lookup: search, profile, points ledger and messages.
import { call, tenantPath } from "./api.js";
import { badge, clear, count, dl, el, link, table, time } from "./dom.js";

// query is the search in the route (#/members?q=…).
function query() {
  const i = location.hash.indexOf("?");
  return i < 0 ? "" : new URLSearchParams(location.hash.slice(i + 1)).get("q") || "";
}

// lookup is the API query for what the operator typed: a phone number, an
// email address, or words to match (name, phone, email).
function lookup(q) {
  if (/^\+?[\d\s().-]{6,}$/.test(q)) return "phone=" + encodeURIComponent(q);
  if (q.includes("@")) return "email=" + encodeURIComponent(q);
  return "q=" + encodeURIComponent(q);
}

export async function membersScreen(view, ctx) {
  const q = query();
  const input = el("input", { id: "member-query", type: "search", value: q, placeholder: "phone, email or name", size: 32 });
  const form = el("form", { class: "inline", id: "member-search", onsubmit: (e) => {
    e.preventDefault();
    location.hash = "#/members?q=" + encodeURIComponent(input.value.trim());
  } }, input, el("button", { type: "submit" }, "Search"));
  clear(view, el("h2", {}, "Members"), form);
  if (!q) return;
  let members;
  try {
    const found = await call(tenantPath("/members?" + lookup(q)));
    members = found.members || [found];
  } catch (err) {
    if (err.status !== 404) throw err;
    members = [];
  }
  view.append(members.length === 0 ? el("p", { id: "no-members" }, "No member matches.") :
    table(["Name", "Phone", "Email", "Tier", "Balance", "Joined"], members.map((m) => [
      link("/members/" + encodeURIComponent(m.id), m.name || m.id), m.phone, m.email || "",
      (m.tier && m.tier.name) || "", m.balance, time(m.created_at),
    ]), { id: "members" }));
}

export async function memberScreen(view, ctx, id) {
  const base = "/members/" + encodeURIComponent(id);
  const [m, ledger, msgs] = await Promise.all([
    call(tenantPath(base)),
    call(tenantPath(base + "/ledger?limit=100")),
    call(tenantPath("/messages?limit=100&member_id=" + encodeURIComponent(id))),
  ]);
  clear(view,
    el("p", {}, link("/members", "← Members")),
    el("h2", { id: "member-name" }, m.name || m.phone || m.id),
    dl([
      ["Balance", count(m.balance), "member-balance"],
      ["Pending", count(m.pending)],
      ["Tier", (m.tier && m.tier.name) || "–", "member-tier"],
      ["Phone", m.phone || "–", "member-phone"],
      ["Email", m.email || "–"],
      ["Expiring in 30 days", count(m.expiring_30d)],
      ["Joined", time(m.created_at)],
      ["Source", (m.profile && m.profile.source) || "–"],
      ["Member id", m.id],
    ]),
    el("h3", {}, "Points ledger"),
    ledger.entries.length === 0 ? el("p", {}, "No entries.") :
      table(["When", "Kind", "Rule", "Points", "Balance after", "Order", "Reason"], ledger.entries.map((e) => [
        time(e.created_at), e.kind, e.rule || "", e.points, e.balance_after, e.order_id || "", e.reason || "",
      ]), { id: "ledger" }),
    el("h3", {}, "Messages"),
    messageTable(msgs.messages));
}

// messageTable lists messages with a link to each one's timeline.
export function messageTable(messages) {
  if (messages.length === 0) return el("p", {}, "No messages.");
  return table(["Written", "Status", "Template or kind", "Sender", "Origin", "Error"], messages.map((m) => [
    link("/messages/" + encodeURIComponent(m.key), time(m.created_at)), badge(m.status), m.template || m.kind,
    m.sender, m.origin || "", m.error || "",
  ]), { class: "messages" });
}
