// Each sender's templates and their status.
import { call, tenantPath } from "./api.js";
import { badge, clear, el, table } from "./dom.js";

export async function templatesScreen(view, ctx) {
  const { senders } = await call(tenantPath("/templates"));
  clear(view, el("h2", {}, "Templates"));
  if (senders.length === 0) view.append(el("p", {}, "This tenant has no sender."));
  for (const s of senders) {
    view.append(el("h3", {}, "Sender ", s.sender));
    if (!s.known) {
      view.append(el("p", {}, "Not listed: this sender cannot list its templates, or has not yet."));
      continue;
    }
    view.append(table(["Name", "Language", "Category", "Status", "Body parameters"], s.templates.map((t) => [
      t.name, t.language, t.category, badge(t.status), (t.body_params || []).join(", "),
    ]), { class: "templates", "data-sender": s.sender }));
  }
}
