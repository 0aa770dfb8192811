// categories.js: intake's problem categories as the deployment's policy has them
// (policies.intake.categories, asked through intake's problem.categories), never constants here.
import { useAskOnce } from "./ui.js";

// The categories [{id, name, path, parent}] in the policy's order, asked once per page load and
// shared; [] until intake answers (or when it refuses: then every category shows as its id).
export function useCategories() {
  return useAskOnce("intake", "problem.categories")?.categories ?? [];
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
