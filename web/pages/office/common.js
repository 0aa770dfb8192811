// Shared by the office's pages (web/pages/office/*.js): a form's values, a command sent from a
// form with its outcome shown, the date a form starts from, the policy's default category names,
// a field naming a principal chosen among the registered ones.
import { useEffect, useState } from '../../vendor/preact/hooks.mjs';
import { act, ask } from '../../js/session.js';
import { html, Field, RefusalBox, Busy } from '../../js/ui.js';
import { routeHref } from '../../js/route.js';
import { word } from '../../js/words.js';

export { html };

// A command from a form: asks for confirmation, then shows the outcome under the form.
export function useCommand(done) {
  const [state, setState] = useState({ busy: false, refusal: null, ok: null });
  async function run(service, type, data, words, okText) {
    setState({ busy: true, refusal: null, ok: null });
    try {
      const reply = await act(service, type, data, words);
      if (reply === null) { setState({ busy: false, refusal: null, ok: null }); return null; }
      setState({ busy: false, refusal: null, ok: okText });
      if (done) done(reply);
      return reply;
    } catch (refusal) {
      setState({ busy: false, refusal, ok: null });
      return null;
    }
  }
  const outcome = html`${state.busy ? html`<${Busy} />` : null}
    ${state.refusal ? html`<${RefusalBox} refusal=${state.refusal} />` : null}
    ${state.ok ? html`<p class="done" role="status">${state.ok}</p>` : null}`;
  return [run, outcome, state.busy];
}

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

// The default categories of policies.intake (intake has no query that lists its policy): for
// the filter's choices and a problem row's name. A deployment's own ids show as they are.
export const CATEGORIES = [
  ['political', '党的领导和政治建设'], ['governance', '全面从严治党'], ['four_styles', '全面从严治党 › 四风'],
  ['eight_rules', '全面从严治党 › 八项规定'], ['organization', '组织建设和选人用人'],
  ['rectification', '整改落实'], ['public_concerns', '群众急难愁盼'], ['livelihood', '群众急难愁盼 › 民生'],
  ['poverty_alleviation', '群众急难愁盼 › 扶贫'], ['hazardous_chemicals', '群众急难愁盼 › 危化品安全'],
  ['receivables', '群众急难愁盼 › 村级应收款'], ['ideology', '意识形态工作责任制'],
];

export function categoryName(id) {
  const found = CATEGORIES.find(([c]) => c === id);
  return found ? found[1] : id;
}

// Non-empty lines of a textarea, trimmed.
export function lines(text) {
  return String(text || '').split(/[\n,，、\s]+/).map((s) => s.trim()).filter(Boolean);
}

// [code, 中文] pairs for a Field's options, the words through words.js.
export function pick(member, codes) {
  return codes.map((c) => [c, word(member, c)]);
}

export const categoryOptions = CATEGORIES;

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
