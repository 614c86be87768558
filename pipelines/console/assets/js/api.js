// The admin API as the console calls it, with the key the operator pasted.
// The key and the chosen tenant live in sessionStorage: this tab only,
// gone when it closes.

const keyItem = "loyalhub.console.key";
const tenantItem = "loyalhub.console.tenant";

export const session = {
  key: () => sessionStorage.getItem(keyItem) || "",
  setKey: (k) => sessionStorage.setItem(keyItem, k),
  tenant: () => sessionStorage.getItem(tenantItem) || "",
  setTenant: (t) => sessionStorage.setItem(tenantItem, t),
  clear: () => { sessionStorage.removeItem(keyItem); sessionStorage.removeItem(tenantItem); },
};

// APIError is an answer of the API other than 2xx: its status and the
// API's own message.
export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// call sends a request to /api/v1 + path and returns the decoded JSON
// answer, or throws an APIError.
export async function call(path, { method = "GET", body } = {}) {
  const headers = { Authorization: "Bearer " + session.key(), Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch("/api/v1" + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit", cache: "no-store",
  });
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    throw new APIError(res.status, (data && data.error) || res.statusText);
  }
  return data;
}

// tenantPath is path under the chosen tenant: /tenants/acme/members….
export function tenantPath(path) {
  return "/tenants/" + encodeURIComponent(session.tenant()) + path;
}

// describe says what went wrong, for the operator.
export function describe(err) {
  if (!(err instanceof APIError)) return "The hub could not be reached: " + err.message;
  switch (err.status) {
    case 401: return "The hub refused the key (401): " + err.message;
    case 403: return "Not allowed with this key (403): " + err.message;
    case 404: return "Not found (404): " + err.message;
    case 429: return "Too many requests with this key (429): try again in a moment.";
  }
  return "The hub answered " + err.status + ": " + err.message;
}
