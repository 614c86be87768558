// The console's entry: the key, the tenant, and the screens by route.
import { call, describe, session } from "./api.js";
import { clear, el } from "./dom.js";
import { healthScreen } from "./health.js";
import { deadLetterScreen, deadLettersScreen } from "./deadletters.js";
import { memberScreen, membersScreen } from "./members.js";
import { messageScreen, messagesScreen } from "./messages.js";
import { templatesScreen } from "./templates.js";
import { campaignScreen, campaignsScreen } from "./campaigns.js";

// routes maps a hash route to its screen; groups of the pattern are the
// screen's parameters, decoded.
const routes = [
  [/^\/health$/, healthScreen],
  [/^\/deadletters$/, deadLettersScreen],
  [/^\/deadletters\/([^/]+)$/, deadLetterScreen],
  [/^\/members$/, membersScreen],
  [/^\/members\/([^/]+)$/, memberScreen],
  [/^\/messages$/, messagesScreen],
  [/^\/messages\/([^/]+)$/, messageScreen],
  [/^\/templates$/, templatesScreen],
  [/^\/campaigns$/, campaignsScreen],
  [/^\/campaigns\/([^/]+)$/, campaignScreen],
];

const $ = (id) => document.getElementById(id);
const view = $("view");
const login = $("login");

// notify shows a message above the screen: an error in red.
function notify(text, isError = false) {
  const n = $("notice");
  n.textContent = text;
  n.className = isError ? "error" : "";
  n.hidden = !text;
}

// ctx is what screens know of the session.
const ctx = { who: null, canWrite: false, notify, describe };

function showLogin(message) {
  $("session").hidden = true;
  $("nav").hidden = true;
  $("readonly").hidden = true;
  clear(view, login);
  login.hidden = false;
  notify(message || "", Boolean(message));
  $("key").focus();
}

async function open() {
  let who;
  try {
    who = await call("/whoami");
  } catch (err) {
    session.clear();
    showLogin(describe(err));
    return;
  }
  ctx.who = who;
  ctx.canWrite = who.scope !== "read";
  if (!who.tenants.includes(session.tenant())) session.setTenant(who.tenants[0] || "");
  const select = clear($("tenant"), who.tenants.map((t) => el("option", { value: t }, t)));
  select.value = session.tenant();
  $("caller").textContent = `${who.name} · ${who.scope} · ${who.tenant === "*" ? "all tenants" : "tenant " + who.tenant}`;
  $("readonly").hidden = ctx.canWrite;
  $("session").hidden = false;
  $("nav").hidden = false;
  login.hidden = true;
  if (!location.hash || location.hash === "#" || location.hash === "#/") {
    location.hash = "#/health";
  } else {
    route();
  }
}

// route draws the screen of the current hash.
async function route() {
  if (!ctx.who) return;
  const path = decodeURI(location.hash.replace(/^#/, "").split("?")[0]);
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", path.startsWith(a.getAttribute("href").slice(1)));
  }
  notify("");
  for (const [pattern, screen] of routes) {
    const m = pattern.exec(path);
    if (!m) continue;
    const params = m.slice(1).map(decodeURIComponent);
    // Each screen draws into a container of its own: one still loading
    // when the operator moved on draws into a detached node, never over
    // the next screen.
    const target = el("div", {}, el("p", { class: "muted" }, "Loading…"));
    clear(view, target);
    try {
      await screen(target, ctx, ...params);
    } catch (err) {
      if (!target.isConnected) return;
      clear(target);
      notify(describe(err), true);
      if (err.status === 401) {
        session.clear();
        ctx.who = null;
        showLogin(describe(err));
      }
    }
    return;
  }
  clear(view, el("p", {}, "No such screen."));
}

login.addEventListener("submit", (e) => {
  e.preventDefault();
  session.setKey($("key").value.trim());
  $("key").value = "";
  open();
});
$("logout").addEventListener("click", () => {
  session.clear();
  ctx.who = null;
  showLogin("");
});
$("tenant").addEventListener("change", (e) => {
  session.setTenant(e.target.value);
  // A member, message or dead letter belongs to the tenant it was opened
  // in: another tenant's screen starts at its list.
  const list = location.hash.match(/^#\/[a-z]+/);
  if (list && list[0] !== location.hash) {
    location.hash = list[0];
  } else {
    route();
  }
});
window.addEventListener("hashchange", route);

if (session.key()) {
  open();
} else {
  showLogin("");
}
