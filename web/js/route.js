// route.js: the console's address is its hash, #/<page>?<query>. The query holds a list's
// filters and page, so a list is linkable and survives a reload.
import { useEffect, useState } from "../vendor/preact/hooks.mjs";

// {path, query} of a hash (location.hash by default): "#/problems?unit=U-1" -> {path:
// "problems", query: {unit: "U-1"}}.
export function routeParse(hash = location.hash) {
  const text = hash.replace(/^#\/?/, "");
  const at = text.indexOf("?");
  const path = decodeURIComponent(at < 0 ? text : text.slice(0, at));
  const query = Object.fromEntries(new URLSearchParams(at < 0 ? "" : text.slice(at + 1)));
  return { path, query };
}

// The hash of a page with a query (empty values left out).
export function routeHref(path, query = {}) {
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v != null));
  const s = q.toString();
  return `#/${encodeURIComponent(path)}${s ? `?${s}` : ""}`;
}

export function routeGo(path, query = {}, replace = false) {
  const href = routeHref(path, query);
  if (replace) history.replaceState(null, "", href);
  else location.hash = href;
  if (replace) window.dispatchEvent(new HashChangeEvent("hashchange"));
}

// The current route, re-rendered on every hash change.
export function useRoute() {
  const [route, set] = useState(routeParse);
  useEffect(() => {
    const on = () => set(routeParse());
    window.addEventListener("hashchange", on);
    on();   // a change between the first render and now had no listener yet
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
