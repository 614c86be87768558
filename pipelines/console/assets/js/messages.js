// The message log and each message's status timeline.
import { call, tenantPath } from "./api.js";
import { badge, clear, dl, el, link, table, time } from "./dom.js";
import { messageTable } from "./members.js";

const statuses = ["", "queued", "pending", "sending", "sent", "delivered", "read", "failed", "skipped", "deferred", "unknown"];

export async function messagesScreen(view, ctx) {
  const i = location.hash.indexOf("?");
  const status = i < 0 ? "" : new URLSearchParams(location.hash.slice(i + 1)).get("status") || "";
  const select = el("select", { id: "message-status", onchange: (e) => {
    location.hash = "#/messages" + (e.target.value ? "?status=" + encodeURIComponent(e.target.value) : "");
  } }, statuses.map((s) => el("option", { value: s }, s || "every status")));
  select.value = status;
  const { messages } = await call(tenantPath("/messages?limit=200" + (status ? "&status=" + encodeURIComponent(status) : "")));
  clear(view, el("h2", {}, "Messages"), el("p", {}, select), messageTable(messages));
}

export async function messageScreen(view, ctx, key) {
  const m = await call(tenantPath("/messages/" + encodeURIComponent(key)));
  clear(view,
    el("p", {}, link("/messages", "← Messages")),
    el("h2", {}, "Message ", m.key),
    dl([
      ["Status", badge(m.status), "message-status-now"],
      ["Template or kind", m.template || m.kind],
      ["Recipient", m.recipient],
      ["Member", m.member_id ? link("/members/" + encodeURIComponent(m.member_id), m.member_id) : "–"],
      ["Sender", m.sender],
      ["Origin", m.origin || "–"],
      ["Provider id", m.provider_message_id || "–"],
      ["Attempts", String(m.attempts)],
      ["Error", m.error ? (m.error_code ? m.error_code + ": " : "") + m.error : "–"],
    ]),
    el("h3", {}, "Timeline"),
    table(["Status", "At", "Error"], (m.timeline || []).map((s) => [
      badge(s.status), time(s.at), s.error ? (s.error_code ? s.error_code + ": " : "") + s.error : "",
    ]), { id: "timeline" }));
}
