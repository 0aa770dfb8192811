// words.js: the Chinese word a person reads for a service's code ("closed" of a rectification
// item is 已销号, "lookback" 回头看), the same table as cli/words.c (tests/python/test_reasons.py
// checks they agree). The services' wire values stay codes; only what is shown is a word.

// [member, code, word], in cli/words.c's order.
export const WORDS = [
  // units
  ["level", "city_department", "市级部门"], ["level", "district", "县（区）"],
  ["level", "town", "镇（街道）"], ["level", "village", "村（社区）"], ["level", "soe", "国有企业"],
  ["level", "school", "学校"], ["level", "hospital", "医院"], ["level", "other", "其他"],
  ["unit_level", "city_department", "市级部门"], ["unit_level", "district", "县（区）"],
  ["unit_level", "town", "镇（街道）"], ["unit_level", "village", "村（社区）"],
  ["unit_level", "soe", "国有企业"], ["unit_level", "school", "学校"],
  ["unit_level", "hospital", "医院"], ["unit_level", "other", "其他"],
  ["status", "active", "存续"], ["status", "merged", "已合并"], ["status", "split", "已分立"],
  // rounds
  ["kind", "regular", "常规巡察"], ["kind", "special", "专项巡察"], ["kind", "mobile", "机动巡察"],
  ["kind", "lookback", "回头看"],
  ["kind", "lead", "问题线索"], ["kind", "handover", "移交办理"], ["kind", "report", "专题报告"],
  ["modes", "elevated", "提级"], ["modes", "cross", "交叉"], ["modes", "system", "系统"],
  ["modes", "extended", "延伸"], ["modes", "linked", "联动"], ["modes", "audit_linked", "巡审联动"],
  ["link", "linked", "联动巡察"], ["link", "crossed", "交叉巡察"], ["link", "raised", "提级巡察"],
  ["stage", "planned", "计划"], ["stage", "stationed", "进驻"], ["stage", "withdrawn", "撤离"],
  ["stage", "reported", "报告"], ["stage", "feedback_delivered", "反馈"], ["stage", "rectifying", "整改"],
  ["stage", "rectification_reported", "整改报告"], ["stage", "evaluated", "评估"],
  ["stage", "closed", "结束"],
  // problems
  ["source", "inspection_team", "巡察组"], ["source", "petition", "信访"], ["source", "audit", "审计"],
  ["source", "public", "群众"],
  ["severity", "general", "一般"], ["severity", "serious", "较重"], ["severity", "grave", "严重"],
  ["status", "recorded", "已登记"], ["status", "classified", "已分类"],
  ["feedback", "immediate", "立行立改"], ["feedback", "deadline", "限期整改"],
  ["feedback", "long_term", "长期坚持"],
  // rectification items
  ["class", "immediate", "立行立改"], ["class", "deadline", "限期整改"], ["class", "long_term", "长期坚持"],
  ["state", "opened", "待制定方案"], ["state", "planned", "整改中"], ["state", "claimed", "待审核销号"],
  ["state", "reopened", "退回整改"], ["state", "closed", "已销号"],
  // referrals
  ["state", "referred", "已移交"], ["state", "acknowledged", "已签收"], ["state", "disposed", "已处置"],
  ["state", "concluded", "已办结"],
  ["method", "talk_inquiry", "谈话函询"], ["method", "preliminary_verification", "初步核实"],
  ["method", "park", "暂存待查"], ["method", "close", "予以了结"],
  // notices
  ["state", "pending", "待发送"], ["state", "retrying", "重试中"], ["state", "sent", "已发送"],
  ["state", "dead", "发送失败"], ["state", "held", "待汇总"],
  ["channel", "stream", "系统消息"], ["channel", "email", "电子邮件"],
  // rules (xcctl rules)
  ["colour", "green", "绿色预警"], ["colour", "yellow", "黄色预警"], ["colour", "orange", "橙色预警"],
  ["colour", "red", "红色预警"],
  ["step", "supervision_notice", "督办通知"], ["step", "stage_guidance", "阶段指导"], ["step", "reminder", "提醒"],
  ["step", "warning", "警示"], ["step", "accountability", "问责"],
  ["period_end", "next_workday", "顺延至休息日后第一个工作日"], ["period_end", "after_holiday", "仅节假日顺延"],
  ["period_end", "keep", "不顺延"],
  ["lead_access", "none", "不可知悉"], ["lead_access", "status", "可知悉办理状态（不含内容）"],
  ["lead_access", "full", "可知悉全部内容"],
  // the routing words of notify's directory (docs/services/notify.md)
  ["directory_role", "officer", "整改责任人"], ["directory_role", "supervising_leader", "分管领导"],
  ["directory_role", "party_secretary", "党组织书记"], ["directory_role", "principal_leader", "主要负责人"],
  ["directory_role", "office", "巡察办"], ["directory_role", "office_leadership", "巡察办领导"],
  ["directory_role", "receiving_body", "受理机关"],
  // repeat problems (屡查屡犯): a suggestion's decision
  ["repeat_state", "suggested", "待认定"], ["repeat_state", "confirmed", "已认定"],
  ["repeat_state", "dismissed", "已排除"],
];

const table = new Map(WORDS.map(([member, code, w]) => [`${member}\u0000${code}`, w]));

// The word for a code of a member ("state", "closed" -> 已销号); a code not in the table is
// shown as it is, as xcctl does (ctl_word's NULL).
export function word(member, code) {
  return table.get(`${member}\u0000${code}`) ?? code;
}

// Whether the table has a word for that code of that member.
export function wordKnown(member, code) {
  return table.has(`${member}\u0000${code}`);
}

// An RFC 3339 time (a service's "2026-12-07T22:45:55Z") as people read it here, in the browser's
// zone: 2026/12/7 06:45:55, no Latin letter; anything else shown as it is.
export const whenShown = (at) => (typeof at === "string" && /^\d{4}-\d\d-\d\dT/.test(at)
  ? new Date(at).toLocaleString("zh-CN", { hour12: false }) : at ?? "");
