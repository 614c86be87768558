// Campaigns and journeys with their funnels.
import { call, tenantPath } from "./api.js";
import { badge, clear, count, dl, el, link, pct, table, time } from "./dom.js";

// actions are the campaign actions each state allows.
const actions = {
  draft: ["start", "cancel"], scheduled: ["pause", "cancel"], running: ["pause", "cancel"], paused: ["resume", "cancel"],
};

export async function campaignsScreen(view, ctx) {
  const [{ campaigns }, { journeys }, { funnel }] = await Promise.all([
    call(tenantPath("/campaigns")), call(tenantPath("/journeys")), call(tenantPath("/analytics/funnel")),
  ]);
  clear(view, el("h2", {}, "Campaigns"),
    campaigns.length === 0 ? el("p", {}, "No campaigns.") :
      table(["Campaign", "State", "Audience", "Created", "Updated"], campaigns.map((c) => [
        link("/campaigns/" + encodeURIComponent(c.name), c.name), badge(c.state), c.audience, time(c.created_at), time(c.updated_at),
      ]), { id: "campaigns" }),
    el("h2", {}, "Journeys"),
    el("p", { class: "muted" }, "Each step's messages of the last 30 days."));
  if (journeys.length === 0) view.append(el("p", {}, "No journeys."));
  for (const j of journeys) {
    const prefix = "journey:" + j.name + "/";
    const rows = funnel.filter((f) => f.origin.startsWith(prefix));
    view.append(el("h3", {}, j.name, " ", badge(j.enabled ? "enabled" : "disabled")),
      dl([["Trigger", j.trigger.on + (j.trigger.when ? " when " + j.trigger.when : "")],
        ["Members", Object.entries(j.members || {}).map(([s, n]) => s + ": " + count(n)).join(", ") || "none"]]),
      rows.length === 0 ? el("p", {}, "No messages yet.") :
        table(["Step", "Written", "Sent", "Delivered", "Read", "Replied", "Converted", "Failed"], rows.map((f) => [
          "step " + f.origin.slice(prefix.length), f.targeted, f.sent, f.delivered, f.read, f.replied, f.converted, f.failed,
        ]), { class: "journey-funnel", "data-journey": j.name }));
  }
}

export async function campaignScreen(view, ctx, name) {
  const path = tenantPath("/campaigns/" + encodeURIComponent(name));
  const p = await call(path);
  const buttons = (actions[p.state] || []).map((a) => el("button", { type: "button", class: "write", "data-action": a, onclick: async () => {
    try {
      await call(path + "/" + a, { method: "POST" });
      await campaignScreen(view, ctx, name);
      ctx.notify("Campaign " + name + ": " + a + " done.");
    } catch (err) {
      ctx.notify(ctx.describe(err), true);
    }
  } }, a[0].toUpperCase() + a.slice(1)));
  clear(view,
    el("p", {}, link("/campaigns", "← Campaigns")),
    el("h2", {}, "Campaign ", p.name),
    dl([
      ["State", badge(p.state), "campaign-state"],
      ["Segment", p.spec.segment || "–"],
      ["Audience", count(p.audience)],
      ["Held out", count(p.held_out)],
      ["Reason", p.reason || "–"],
      ["Start", time(p.start_at) || "at once"],
    ]),
    el("p", {}, buttons),
    el("h3", {}, "Funnel"),
    funnelTable(p.totals, "campaign-funnel"),
    (p.variants || []).length > 1 ? [el("h3", {}, "Variants"),
      table(["Variant", "Written", "Sent", "Delivered", "Read", "Converted"], p.variants.map((v) => [
        v.name, v.targeted, v.sent, v.delivered, v.read, v.converted,
      ]))] : null);
}

// funnelTable draws a funnel's stages as bars over the messages written.
function funnelTable(f, id) {
  const skipped = Object.values(f.skipped || {}).reduce((a, b) => a + b, 0);
  const stages = [["Written", f.targeted], ["Sent", f.sent], ["Delivered", f.delivered], ["Read", f.read],
    ["Replied", f.replied], ["Clicked", f.clicked], ["Converted", f.converted], ["Skipped", skipped],
    ["Failed", f.failed], ["Waiting", f.waiting]];
  return table(["Stage", "Messages", "Of written", ""], stages.map(([stage, n]) => {
    const bar = el("div", { class: "bar" });
    bar.style.width = f.targeted ? (100 * n / f.targeted).toFixed(1) + "%" : "0";
    return [stage, n, f.targeted ? pct(n / f.targeted) : "–", bar];
  }), { id, class: "funnel" });
}
