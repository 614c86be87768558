// Dead letters: what a stage gave up on, why, and their replay.
import { call, tenantPath } from "./api.js";
import { clear, dl, el, link, table, time } from "./dom.js";

export async function deadLettersScreen(view, ctx) {
  const { deadletters } = await call(tenantPath("/deadletters?limit=200"));
  clear(view, el("h2", {}, "Dead letters"),
    deadletters.length === 0 ? el("p", {}, "No dead letters.") :
      table(["When", "Stage", "Reason", "Replayed"], deadletters.map((d) => [
        link("/deadletters/" + encodeURIComponent(d.id), time(d.created_at)), d.handler, d.reason,
        d.replayed_at ? time(d.replayed_at) : "no",
      ]), { id: "deadletters" }));
}

export async function deadLetterScreen(view, ctx, id) {
  const d = await call(tenantPath("/deadletters/" + encodeURIComponent(id)));
  const result = el("p", { id: "replay-result" });
  const replay = el("button", { type: "button", class: "write", id: "replay", onclick: async () => {
    replay.disabled = true;
    try {
      const r = await call(tenantPath("/deadletters/" + encodeURIComponent(id) + "/replay"), { method: "POST" });
      result.textContent = "Replayed as message " + r.message_id + " to " + r.topic + ".";
      ctx.notify("Dead letter replayed.");
    } catch (err) {
      result.textContent = "";
      ctx.notify(ctx.describe(err), true);
    } finally {
      replay.disabled = false;
    }
  } }, "Replay");
  const meta = Object.entries(d.metadata || {}).sort(([a], [b]) => a.localeCompare(b));
  clear(view,
    el("p", {}, link("/deadletters", "← Dead letters")),
    el("h2", {}, "Dead letter ", d.id),
    dl([
      ["Reason", d.reason, "dl-reason"],
      ["Stage", d.handler],
      ["Topic", d.topic],
      ["Stored", time(d.created_at)],
      ["Replayed", d.replayed_at ? time(d.replayed_at) : "no", "dl-replayed"],
    ]),
    el("p", {}, replay, ctx.canWrite ? "" : el("span", { class: "muted" }, " (this key is read-only: the hub will refuse)")),
    result,
    el("h3", {}, "Payload"),
    el("pre", { id: "dl-payload" }, pretty(d.payload, d.payload_base64)),
    el("h3", {}, "Metadata"),
    table(["Key", "Value"], meta));
}

// pretty indents a JSON payload; other text is shown as it is.
function pretty(text, base64) {
  if (!text) return base64 ? "(binary, base64) " + base64 : "(empty)";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
