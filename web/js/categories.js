// categories.js: intake's problem categories as the deployment's policy has them
// (policies.intake.categories, asked through intake's problem.categories), never constants here.
import { useEffect, useState } from "../vendor/preact/hooks.mjs";
import { ask } from "./session.js";

// The list, asked once per page load and shared by every page; a refusal (a role that may not
// ask) or a lost answer is not kept, so a later page asks again.
let asked = null;
let known = null;
function categoriesGet() {
  if (!asked)
    asked = ask("intake", "problem.categories", {}).then((r) => (known = r.categories),
      (refusal) => { asked = null; throw refusal; });
  return asked;
}

// The categories [{id, name, path, parent}] in the policy's order; [] until intake answers (or
// when it refuses: then every category shows as its id).
export function useCategories() {
  const [list, setList] = useState(known || []);
  useEffect(() => {
    let live = true;
    categoriesGet().then((got) => live && setList(got), () => {});
    return () => { live = false; };
  }, []);
  return list;
}

// A category's name as a person reads it: its path from the top (全面从严治党 › 四风); an id the
// policy no longer has is shown as it is.
export function categoryName(list, id) {
  return list.find((c) => c.id === id)?.path ?? id;
}

// [id, path] pairs for a Field's options.
export function categoryOptions(list) {
  return list.map((c) => [c.id, c.path]);
}
