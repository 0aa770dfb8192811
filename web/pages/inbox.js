// inbox.js: 通知, the person's notices from notify's stream (notify.read), the unread count in
// the header, 确认 (acknowledge, notify.ack). A stream notice is unread until acknowledged: notify
// keeps it `sent` (offered) till then, so the unread ones are notify.list's stream deliveries of
// the person's own recipients in state `sent` (docs/services/notify.md, "Channels").
import { useEffect, useState } from "../vendor/preact/hooks.mjs";
import { act, ask } from "../js/session.js";
import { html, Busy, Page, RefusalBox } from "../js/ui.js";
import { routeHref } from "../js/route.js";
import { reasonFind, refusalFrom } from "../js/reasons.js";

// notify's refusal of a person its directory does not list: no notices, not a fault
const NOT_LISTED = "'%s' has no notices: it is no principal of the directory";
const notListed = (r) => !!r && reasonFind(refusalFrom(r).text)?.format === NOT_LISTED;

const CHANGED = "xc-inbox";           // dispatched on window after an acknowledgement
const MAX_PAGES = 20;                 // 20 × 500 notices: more than a person's stream holds

// The person's stream, oldest first, and the set of its unread delivery ids (as strings).
export async function inboxRead() {
  const notices = [];
  let after;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await ask("notify", "notify.read", after == null ? { limit: 500 } : { after, limit: 500 });
    notices.push(...page.notices);
    if (!page.more || page.next == null) break;
    after = page.next;
  }
  const unread = new Set();
  for (const recipient of new Set(notices.map((n) => n.recipient).filter(Boolean))) {
    let a;
    for (let i = 0; i < MAX_PAGES; i++) {
      const page = await ask("notify", "notify.list", { recipient, channel: "stream", state: "sent",
                                                        limit: 500, ...(a == null ? {} : { after: a }) });
      for (const d of page.items ?? page.deliveries ?? []) unread.add(String(d.id ?? d.delivery));
      if (page.next == null) break;
      a = page.next;
    }
  }
  return { notices, unread };
}

// The header's 通知 link with the unread count; nothing for a person notify does not know.
export function Unread() {
  const [n, set] = useState(null);
  useEffect(() => {
    let live = true;
    const load = () => inboxRead().then(({ unread }) => live && set(unread.size), () => live && set(null));
    load();
    const t = setInterval(load, 30000);
    window.addEventListener(CHANGED, load);
    return () => { live = false; clearInterval(t); window.removeEventListener(CHANGED, load); };
  }, []);
  if (n === null) return null;
  return html`<a id="unread" href=${routeHref("inbox")} data-unread=${n}
      aria-label=${`通知，未读 ${n} 条`}>通知${n ? html`<span class="badge">${n}</span>` : null}</a>`;
}

function Notice({ notice, unread, onAck }) {
  if (notice.too_large)
    return html`<li class="notice" data-delivery=${notice.delivery}><p>此通知内容过长，无法在此显示，请查看邮件。</p>
      ${unread ? html`<button type="button" class="ack" onClick=${() => onAck([notice])}>确认</button>` : null}</li>`;
  return html`<li class=${`notice${unread ? " unread" : ""}`} data-delivery=${notice.delivery}>
    <h3>${notice.subject}${unread ? html`<span class="badge">未读</span>` : null}</h3>
    <p class="text">${notice.text}</p>
    ${notice.resent ? html`<p class="muted">已第 ${notice.resent} 次重发</p>` : null}
    ${unread ? html`<button type="button" class="ack" onClick=${() => onAck([notice])}>确认已阅</button>`
      : html`<span class="muted">已确认</span>`}
  </li>`;
}

function Inbox() {
  const [state, set] = useState({ busy: true });
  const [refusal, setRefusal] = useState(null);
  const load = () => inboxRead().then((v) => set(v), (r) => set({ refusal: r }));
  useEffect(() => { load(); }, []);
  const onAck = async (list) => {
    setRefusal(null);
    const words = list.length === 1 ? `确认已阅通知：${list[0].subject ?? "（内容过长的通知）"}` : `将 ${list.length} 条未读通知全部标记为已读`;
    try {
      const done = await act("notify", "notify.ack", { deliveries: list.map((x) => x.delivery) }, words);
      if (done) { window.dispatchEvent(new Event(CHANGED)); await load(); }
    } catch (e) {
      setRefusal(e);
    }
  };
  const { notices, unread } = state;
  const newest = notices ? [...notices].reverse() : [];
  const open = newest.filter((x) => unread.has(String(x.delivery)));
  return html`<${Page} title="通知">
    ${notListed(state.refusal) ? html`<p class="empty" id="inbox-unlisted">您不在通知名录中，暂无通知。如需接收通知，请联系巡察办。</p>`
      : html`<${RefusalBox} refusal=${state.refusal || refusal}/>`}
    ${state.busy ? html`<${Busy} text="正在加载……"/>` : null}
    ${notices ? html`<p id="inbox-count">共 ${notices.length} 条，未读 ${open.length} 条</p>
      ${open.length > 1 ? html`<button type="button" id="ack-all" onClick=${() => onAck(open)}>全部标记已读</button>` : null}
      ${notices.length ? html`<ul class="notices">${newest.map((x) => html`<${Notice} key=${x.delivery} notice=${x}
          unread=${unread.has(String(x.delivery))} onAck=${onAck}/>`)}</ul>` : html`<p class="empty">暂无通知</p>`}` : null}
  </${Page}>`;
}

// Every role a person may have; notify answers only the principals of its directory.
const PEOPLE = ["office", "team", "unit", "discipline", "petition", "audit", "public", "district", "department"];
export const pages = [{ path: "inbox", role: PEOPLE, title: "通知", nav: true, view: Inbox }];
