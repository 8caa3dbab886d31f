// The coordimap_graph extension's query API, as the map calls it.

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// get fetches /api/v1/<path> with the query params whose values are set.
export async function get(path, params = {}, signal) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "" || v === false) continue;
    qs.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const url = "api/v1/" + path + (qs.toString() ? "?" + qs : "");
  const res = await fetch(url, { signal, headers: { Accept: "application/json" } });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new APIError(res.status, `${path}: HTTP ${res.status} (not JSON)`);
  }
  if (!res.ok) throw new APIError(res.status, body && body.error ? body.error : `${path}: HTTP ${res.status}`);
  return body;
}

// nodeFilterParams are the filters /nodes and /graph share.
export function nodeFilterParams(view) {
  return {
    q: view.q,
    type: view.types,
    data_source: view.ds,
    scope: view.scope,
    group: view.group,
    status: view.status,
    as_of: view.asOf,
  };
}
