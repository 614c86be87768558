// Tenants and their connectors' health.
import { call, session } from "./api.js";
import { badge, clear, el, pct, table, time } from "./dom.js";

// healthScreen lists the tenants the key opens, each with a summary of its
// health, then the chosen tenant's connectors in detail.
export async function healthScreen(view, ctx) {
  const tenants = ctx.who.tenants;
  const healths = await Promise.all(tenants.map((t) =>
    call("/tenants/" + encodeURIComponent(t) + "/health").catch((err) => ({ error: ctx.describe(err) }))));
  const summary = tenants.map((t, i) => {
    const h = healths[i];
    if (h.error) return [t, h.error, "", "", ""];
    const cs = h.connectors;
    const pick = el("button", { type: "button", onclick: () => { session.setTenant(t); document.getElementById("tenant").value = t; healthScreen(view, ctx); } },
      t === session.tenant() ? "shown below" : "show");
    return [el("span", {}, t, " ", pick), cs.length,
      cs.filter((c) => c.breaker === "open" || c.breaker === "half-open").length,
      cs.filter((c) => c.paused || c.marketing_paused).length, h.dead_letters_pending];
  });
  const chosen = healths[tenants.indexOf(session.tenant())];
  clear(view,
    el("h2", {}, "Tenants"),
    table(["Tenant", "Connectors", "Open breakers", "Paused senders", "Dead letters to replay"], summary, { id: "tenants" }),
    el("h3", {}, "Connectors of ", session.tenant()),
    !chosen || chosen.error ? el("p", {}, chosen ? chosen.error : "No tenant.") : connectors(chosen.connectors),
    el("p", { class: "muted" }, "Deliveries and sends are counted since this replica of the hub started."));
}

function connectors(cs) {
  return table(
    ["Connector", "Type", "Last delivery", "Delivery errors", "Last send", "Send errors", "Breaker", "Pause", "Quality", "Last error"],
    cs.map((c) => [
      c.name, c.type + " (" + c.kinds.join(", ") + ")",
      c.deliveries ? time(c.deliveries.last_ok) || "none yet" : "–",
      c.deliveries ? errors(c.deliveries) : "–",
      c.sends ? time(c.sends.last_ok) || "none yet" : "–",
      c.sends ? errors(c.sends) : "–",
      c.breaker ? el("span", {}, badge(c.breaker), c.breaker_opened_at ? " last opened " + time(c.breaker_opened_at) : "") : "–",
      pause(c),
      c.quality || "–",
      lastError(c),
    ]), { id: "connectors" });
}

function errors(a) {
  return `${a.failed} of ${a.ok + a.failed} (${pct(a.error_rate)})`;
}

function pause(c) {
  if (!c.sends) return "–";
  const parts = [];
  if (c.paused) parts.push(el("div", {}, badge("paused"), " until " + time(c.paused_until) + ": " + (c.pause_reason || "")));
  if (c.marketing_paused) parts.push(el("div", {}, badge("marketing paused"), " " + (c.marketing_pause_reason || "")));
  return parts.length ? el("div", {}, parts) : badge("ok");
}

function lastError(c) {
  const all = [c.deliveries, c.sends].filter((a) => a && a.last_error);
  if (!all.length) return "";
  const last = all.sort((a, b) => String(b.last_failed).localeCompare(String(a.last_failed)))[0];
  return time(last.last_failed) + ": " + last.last_error;
}
