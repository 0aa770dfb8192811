// outcome_kinds.js: the kinds of a person's outcome as the deployment's policy has them
// (policies.referral.outcomes, asked through referral's referral.outcome_kinds): the four forms
// (四种形态) and the lists of party sanctions, administrative sanctions and organizational
// handling, each [{id, name}]. Never constants here: the service checks the same lists.
import { useAskOnce } from "./ui.js";

// The three lists of kinds a person's outcome names, with the section title each has on a page.
export const KIND_LISTS = [["party_sanction", "党纪处分"], ["administrative_sanction", "政务处分"],
                           ["organizational_handling", "组织处理"]];

// {forms, party_sanction, administrative_sanction, organizational_handling} in the policy's
// order, asked once per page load and shared; null until referral answers (or when it refuses).
export function useOutcomeKinds() {
  return useAskOnce("referral", "referral.outcome_kinds");
}

// A form (1-4) as a person reads it; its number when the kinds are not known.
export function formName(kinds, form) {
  return kinds?.forms?.[form - 1] ?? `形态 ${form}`;
}

// A kind's name in its list; an id the policy does not have is shown as it is.
export function kindName(kinds, list, id) {
  return kinds?.[list]?.find((k) => k.id === id)?.name ?? id;
}

// [value, name] pairs for a Field's options: the forms as "1".."4", a list's kinds by id.
export function formOptions(kinds) {
  return (kinds?.forms ?? []).map((name, i) => [String(i + 1), name]);
}
export function kindOptions(kinds, list) {
  return (kinds?.[list] ?? []).map((k) => [k.id, k.name]);
}
