// repeats.js: the problem page's 疑似屡查屡犯 panel (docs/console.md, "Repeat problems"): the
// earlier problems of the same unit lineage intake suggests (problem.repeats), each with its
// outcome where this person may read it (the rectification item's state from rectify, the
// referral's from referral), and for the office confirm / dismiss (problem.repeat), plus
// confirming a pair it found itself.
import { useEffect, useState } from "../vendor/preact/hooks.mjs";
import { ask } from "../js/session.js";
import { html, Busy, Field, Id, RefusalBox, useAsk, useCommand } from "../js/ui.js";
import { routeHref } from "../js/route.js";
import { word } from "../js/words.js";

// The outcome of an earlier problem: its items (rectify.list of its round and unit) and its
// referrals (referral.list of each disposition's target), the rows naming that problem. A
// service that refuses leaves its part out (the person may not read it).
function useOutcome(c) {
  const [out, set] = useState(null);
  useEffect(() => {
    let live = true;
    const items = c.round ? ask("rectify", "rectify.list", { round: c.round, unit: c.unit, limit: 100 })
      .then((r) => r.items.filter((i) => i.problem === c.of), () => null) : Promise.resolve(null);
    // the earlier problem's own dispositions name each referral's target (the candidate's
    // give only their kinds)
    const refs = ask("intake", "problem.get", { problem: c.of }).then((p) => {
      const targets = (p.dispositions || []).filter((d) => d.kind === "lead" || d.kind === "handover");
      return Promise.all(targets.map((d) => ask("referral", "referral.list",
        { kind: d.kind, target: d.body || d.department, limit: 100 })
        .then((r) => r.items.filter((x) => x.problem === c.of), () => null)))
        .then((all) => (all.length && all.every((x) => x === null) ? null : all.flat().filter(Boolean)));
    }, () => null);
    Promise.all([items, refs]).then(([i, r]) => live && set({ items: i, referrals: r }));
    return () => { live = false; };
  }, [c.of]);
  return out;
}

function Outcome({ c }) {
  const out = useOutcome(c);
  if (!out) return html`<span class="muted">正在读取处理结果……</span>`;
  const parts = [];
  if (out.items?.length) parts.push(html`<span class="outcome-items">整改：${out.items.map((i) => html`<a
      href=${routeHref("item", { id: i.id })}>事项 <${Id}>${i.id}<//></a>${word("state", i.state)} `)}</span>`);
  if (out.referrals?.length) parts.push(html`<span class="outcome-referrals">移交：${out.referrals.map((r) => html`<a
      href=${routeHref("referral", { id: r.id })}>移交 <${Id}>${r.id}<//></a>${word("state", r.state)} `)}</span>`);
  if (!parts.length) return html`<span class="muted">${out.items === null && out.referrals === null ? "无权查看处理结果" : "暂无整改或移交记录"}</span>`;
  return parts;
}

function Candidate({ problem, c, office, onDone }) {
  const [note, setNote] = useState("");
  const [run, outcome, busy] = useCommand(onDone);
  const decide = (decision) => run("intake", "problem.repeat", { problem, of: c.of, decision, ...(note ? { note } : {}) },
    decision === "confirmed" ? `认定问题 #${problem} 与以往问题 #${c.of}「${c.summary}」为屡查屡犯`
      : `排除问题 #${problem} 与以往问题 #${c.of}「${c.summary}」的屡查屡犯嫌疑`,
    decision === "confirmed" ? "已认定为屡查屡犯" : "已排除");
  return html`<li class="repeat-candidate" data-of=${c.of} data-state=${c.state}>
    <div><a href=${routeHref("problem", { id: c.of })}>问题 <${Id}>${c.of}<//></a>「${c.summary}」
      <span class="tag" data-similarity=${c.similarity}>相似度 ${c.similarity}</span>
      <span class=${`tag repeat-${c.state}`}>${word("repeat_state", c.state)}</span></div>
    <div class="muted">${word("kind", c.round_kind) || ""} ${c.round_name || ""}${c.round ? html` <${Id}>${c.round}<//>` : null}
      · ${c.unit_name || ""} <${Id}>${c.unit}<//> · 发现于 ${c.found_on || "—"}</div>
    <div class="outcome">处理结果：<${Outcome} c=${c}/></div>
    ${c.state !== "suggested" ? html`<div class="muted">${c.decided_on || ""} 由 <${Id}>${c.decided_by || ""}<//> ${word("repeat_state", c.state)}${c.note ? `：${c.note}` : ""}</div>` : null}
    ${office && c.state === "suggested" ? html`<div class="repeat-decide">
      <${Field} label="认定说明（可不填）" name="note" value=${note} onValue=${setNote}/>
      <div class="buttons"><button type="button" class="primary repeat-confirm" disabled=${busy} onClick=${() => decide("confirmed")}>认定屡查屡犯</button>
      <button type="button" class="repeat-dismiss" disabled=${busy} onClick=${() => decide("dismissed")}>排除</button></div>${outcome}</div>` : null}
  </li>`;
}

// A pair the office found itself: the earlier problem's number, confirmed with a note.
function ConfirmByHand({ problem, onDone }) {
  const [of, setOf] = useState("");
  const [note, setNote] = useState("");
  const [run, outcome, busy] = useCommand(onDone);
  const submit = (e) => {
    e.preventDefault();
    run("intake", "problem.repeat", { problem, of: Number(of), decision: "confirmed", ...(note ? { note } : {}) },
      `认定问题 #${problem} 与以往问题 #${of} 为屡查屡犯`, "已认定为屡查屡犯");
  };
  return html`<form class="form" id="repeat-by-hand" onSubmit=${submit}>
    <${Field} label="以往问题编号" type="number" min="1" required name="of" value=${of} onValue=${setOf}/>
    <${Field} label="认定说明" name="note" value=${note} onValue=${setNote}/>
    <button type="submit" disabled=${busy}>认定屡查屡犯</button>${outcome}
  </form>`;
}

export function RepeatsPanel({ problem, me }) {
  const [turn, setTurn] = useState(0);
  const got = useAsk("intake", "problem.repeats", { problem }, [problem, turn]);
  const again = () => setTurn((n) => n + 1);
  const office = me.role === "office" || me.role === "district";
  const list = got.value?.candidates;
  return html`<section class="card" id="repeats">
    <h3>疑似屡查屡犯</h3>
    <p class="muted">同一单位（含其合并、分立前的单位）以往轮次中相似的问题。</p>
    ${got.busy && !got.value ? html`<${Busy} text="正在加载……"/>` : null}
    <${RefusalBox} refusal=${got.refusal}/>
    ${list && !list.length ? html`<p class="empty" id="repeats-none">未发现相似的以往问题</p>` : null}
    ${list?.length ? html`<ul class="repeat-list">${list.map((c) => html`<${Candidate} key=${c.of} problem=${problem} c=${c}
        office=${office} onDone=${again}/>`)}</ul>` : null}
    ${office && got.value ? html`<details><summary>手动认定屡查屡犯</summary><${ConfirmByHand} problem=${problem} onDone=${again}/></details>` : null}
  </section>`;
}
