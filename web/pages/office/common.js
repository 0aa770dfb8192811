// Shared by the office's pages (web/pages/office/*.js): a form's values, the date a form starts
// from, a field naming a principal chosen among the registered ones. (A command sent from a form
// is ui.js's useCommand; the categories are categories.js's.)
import { useEffect, useState } from '../../vendor/preact/hooks.mjs';
import { ask } from '../../js/session.js';
import { html, Field } from '../../js/ui.js';
import { routeHref } from '../../js/route.js';
import { word } from '../../js/words.js';

export { html };

// The form's values and a binder for each field.
export function useForm(initial) {
  const [values, setValues] = useState(initial);
  const bind = (name) => ({
    name, value: values[name],
    onValue: (v) => setValues((o) => ({ ...o, [name]: v })),
  });
  return [values, bind, setValues];
}

// Today in the browser's calendar as YYYY-MM-DD: only a form's starting value; the service
// judges every date by the deployment's own clock and offset.
export function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// A link to a page of the console: href('problem', {id: 3}) is "#/problem?id=3".
export const href = routeHref;

// Non-empty lines of a textarea, trimmed.
export function lines(text) {
  return String(text || '').split(/[\n,，、\s]+/).map((s) => s.trim()).filter(Boolean);
}

// [code, 中文] pairs for a Field's options, the words through words.js.
export function pick(member, codes) {
  return codes.map((c) => [c, word(member, c)]);
}

// The registered principals (registry's principal.list, its first 500, asked once a minute at
// most), for a form's choice of a team, a body or a department.
let principalsAsked = null;
function principalsGet() {
  if (!principalsAsked || Date.now() - principalsAsked.at > 60000)
    principalsAsked = { at: Date.now(), list: ask('registry', 'principal.list', { limit: 500 }).then((r) => r.principals) };
  return principalsAsked.list;
}

// A field naming a principal of one of roles: a choice among the registered ones, or typed
// when the registry cannot be asked (an older deployment) or has none of those roles.
export function PrincipalField({ label, roles, ...bound }) {
  const [options, setOptions] = useState(null);
  useEffect(() => {
    let live = true;
    principalsGet().then((all) => live && setOptions(all
      .filter((p) => roles.includes(p.role) && p.registered && !p.revoked)
      .map((p) => [p.iss, p.display ? `${p.display}（${p.iss}）` : p.iss, true])), () => live && setOptions([]));
    return () => { live = false; };
  }, []);
  // while the registry answers: a choice not yet open, so that the field does not change under
  // the person's typing
  if (!options)
    return html`<${Field} label=${label} options=${[['', '正在读取……']]} disabled ...${bound} />`;
  if (options.length)
    return html`<${Field} label=${label} options=${[['', '（请选择）'], ...options]} ...${bound} />`;
  return html`<${Field} label=${label} ...${bound} />`;
}
