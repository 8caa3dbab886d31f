// The view's state as the URL bookmarks it (query string).

const keys = {
  q: "q",
  types: "type",
  ds: "data_source",
  scope: "scope",
  group: "group",
  status: "status",
  rels: "rel",
  asOf: "as_of",
  node: "node",
  nodeScope: "node_scope",
  by: "group_by",
  all: "all",
};

const lists = new Set(["types", "rels"]);

export function emptyView() {
  return {
    q: "",
    types: [],
    ds: "",
    scope: "",
    group: "",
    status: "",
    rels: [],
    asOf: "",
    node: "",
    nodeScope: "",
    by: "scope",
    all: false,
  };
}

export function readView(search) {
  const p = new URLSearchParams(search);
  const v = emptyView();
  for (const [field, key] of Object.entries(keys)) {
    const s = p.get(key);
    if (s === null) continue;
    if (lists.has(field)) v[field] = s.split(",").filter(Boolean);
    else if (field === "all") v.all = s === "1" || s === "true";
    else v[field] = s;
  }
  if (v.asOf && isNaN(Date.parse(v.asOf))) v.asOf = "";
  return v;
}

export function writeView(v) {
  const p = new URLSearchParams();
  for (const [field, key] of Object.entries(keys)) {
    const val = v[field];
    if (lists.has(field)) {
      if (val.length) p.set(key, val.join(","));
    } else if (field === "all") {
      if (val) p.set(key, "1");
    } else if (field === "by") {
      if (val && val !== "scope") p.set(key, val);
    } else if (val) {
      p.set(key, val);
    }
  }
  const s = p.toString();
  return s ? "?" + s : "";
}

// hasFilter says whether the view narrows the graph down (the gate above
// 2,000 nodes asks for one).
export function hasFilter(v) {
  return !!(v.q || v.types.length || v.ds || v.scope || v.group || v.status);
}
