// reporter.js: the petition bureau's and the audit bureau's pages (信访部门, 审计部门): report a
// problem, and the ones they reported (intake shows each only its own).
import { html, Page } from "../js/ui.js";
import { routeHref } from "../js/route.js";
import { ReportForm, ReportedList } from "./report_form.js";

function Report({ me }) {
  return html`<${Page} title="报告问题">
    <p class="muted">${me.role === "petition" ? "将信访中反映的问题报告巡察办。" : "将审计中发现的问题报告巡察办。"}提交前会请您确认，并以您本人的密钥签名。</p>
    <${ReportForm} me=${me}/>
    <p><a href=${routeHref("reported")}>查看本部门已报告的问题</a></p>
  </${Page}>`;
}

function Reported() {
  return html`<${Page} title="已报问题"><${ReportedList} team=${false}/></${Page}>`;
}

const ROLES = ["petition", "audit"];
export const pages = [
  { path: "report", role: ROLES, title: "报告问题", nav: true, view: Report },
  { path: "reported", role: ROLES, title: "已报问题", nav: true, view: Reported },
];
