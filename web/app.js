// The console's shell (an ES module, no build step): the header with the person signed in, the
// nav of the pages their role has, and the page the hash names (#/<page>?<query>). Pages come
// from the modules under pages/, each exporting `pages` ([{path, role, title, nav, view}]).
// A page marked `public: true` opens without signing in (the enrollment page).
import { render } from "./vendor/preact/preact.mjs";
import { useEffect, useState } from "./vendor/preact/hooks.mjs";
import { html, Id, Busy, ConfirmDialog, Page } from "./js/ui.js";
import { ROLES, sessionLeave, sessionLoad, sessionOn } from "./js/session.js";
import { routeGo, routeHref, routeParse, useRoute } from "./js/route.js";
import * as office from "./pages/office.js";
import * as unit from "./pages/unit.js";
import * as team from "./pages/team.js";
import * as discipline from "./pages/discipline.js";
import * as reporter from "./pages/reporter.js";
import * as people from "./pages/people.js";
import * as inbox from "./pages/inbox.js";
import * as dashboard from "./pages/dashboard.js";
import * as verify from "./pages/verify.js";
import * as documents from "./pages/documents.js";
import * as publicChannel from "./pages/public_channel.js";
import * as search from "./pages/search.js";
import * as ranking from "./pages/ranking.js";

// the dashboard first: the office's and a district office's home page
export const PAGES = [dashboard, office, unit, team, discipline, reporter, people, inbox, documents, verify, publicChannel,
  search, ranking]
  .flatMap((m) => m.pages);

export const mayOpen = (page, me) => !!page && (page.public || (!!me && page.role.includes(me.role)));

// The person's state, shared by the header and the page: undefined while the keystore is read.
function useMe() {
  const [me, set] = useState(undefined);
  useEffect(() => {
    const off = sessionOn(set);
    sessionLoad().then(set, () => set(null));
    return off;
  }, []);
  return me;
}

function Who() {
  const me = useMe();
  if (!me) return null;
  return html`<div class="who">
    <span id="who-name">${me.display || html`<${Id}>${me.iss}<//>`}</span>
    <span id="who-role" class="role">${ROLES[me.role] ?? me.role}</span>
    ${inbox.Unread && !me.invalid ? html`<${inbox.Unread} me=${me}/>` : null}
    <button type="button" id="sign-out" class="quiet" onClick=${() => { sessionLeave(); routeGo("", {}); }}>退出</button>
  </div>`;
}

function Nav({ me, path }) {
  const mine = PAGES.filter((p) => p.nav && p.role?.includes(me.role));
  return html`<nav id="nav" aria-label="主菜单"><ul>${mine.map((p) => html`<li><a href=${routeHref(p.path)}
      data-path=${p.path} aria-current=${p.path === path ? "page" : undefined}>${p.title}</a></li>`)}</ul>
    <${search.SearchBox} me=${me}/></nav>`;
}

function App() {
  const me = useMe();
  const route = useRoute();
  // a page marked `prefix` takes what follows its path after a slash (#/poster/R-1)
  const page = PAGES.find((p) => p.path === route.path || (p.prefix && route.path.startsWith(`${p.path}/`)));
  const home = me && PAGES.find((p) => p.nav && p.role?.includes(me.role));
  useEffect(() => {
    // the address as it is now: one opened meanwhile (a link, a typed address) is kept
    if (me && !routeParse().path && home) routeGo(home.path, {}, true);
  }, [me, route.path]);
  if (me === undefined) return html`<${Busy} text="正在加载……"/>`;
  if (page?.public) return html`<${page.view} route=${route} me=${me}/>`;
  if (!me) return html`<${people.SignIn}/>`;
  // the person's own key refused twice by a service: revoked or replaced, said plainly
  if (me.invalid) return html`<div class="content" id="page" data-path="invalid"><${people.Invalid} me=${me}/></div>`;
  let body;
  if (!route.path) body = html`<${Page} title="欢迎"><p>您的角色暂无可用页面。</p></${Page}>`;
  else if (!page) body = html`<${Page} title="页面不存在"><p id="no-page">页面不存在，请从菜单中选择。</p></${Page}>`;
  else if (!mayOpen(page, me)) body = html`<${Page} title="无权访问"><p id="forbidden-page" class="refusal" role="alert">无权访问此页面</p></${Page}>`;
  else body = html`<${page.view} route=${route} me=${me}/>`;
  return html`<div class="shell"><${Nav} me=${me} path=${route.path}/><div class="content" id="page" data-path=${route.path}>${body}</div></div>`;
}

// the page's own "loading" line goes: Preact renders beside what is there, not over it
const root = document.getElementById("app");
root.replaceChildren();
render(html`<${App}/><${ConfirmDialog}/>`, root);
render(html`<${Who}/>`, document.getElementById("who"));
