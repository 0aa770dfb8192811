// explain.js: a deadline's explanation in Chinese. The services write how they computed a due
// date in English (common/calendar.c, xc_deadline_compute and the period's end; an extension in
// rectify and referral: "extended from A to B: reason"); the console shows it to people, so each
// of those few phrases is turned into Chinese here, with its dates and numbers placed. A phrase
// not known stays as it is (tests/python/test_console_roles.py checks the ones the services give).

const UNIT = { day: "天", workday: "个工作日", month: "个月" };

const RULES = [
  // "2025-03-31 + 2 months = 2025-05-31": the span from the start
  [/(\d{4}-\d\d-\d\d) \+ (\d+) (day|workday|month)s? = (\d{4}-\d\d-\d\d)/g,
   (_, from, n, unit, to) => `${from} 起算 ${n} ${UNIT[unit]}，至 ${to}`],
  [/ \(clamped to the end of the month\)/g, "（当月无对应日期，取月末）"],
  [/ \(skipped ([^()]*?)\)/g, (_, what) => `（跳过${what}）`],
  [/ \(counted (\d+) make-up workdays?\)/g, "（计入调休工作日 $1 天）"],
  [/(\d+) holidays?/g, "节假日 $1 天"],
  [/(\d+) weekend days?/g, "周末 $1 天"],
  [/, counted (\d+) make-up workdays?/g, "，计入调休工作日 $1 天"],
  [/ and 周末/g, "、周末"],
  [/, (in a public holiday|a weekend day): the period ends on the next working day, (\d{4}-\d\d-\d\d) \(Civil Code art\. 203\)/g,
   (_, why, day) => `，${why === "a weekend day" ? "适逢周末" : "适逢法定节假日"}：期间顺延至下一个工作日 ${day}（《民法典》第二百零三条）`],
  [/no working-day calendar for (\d{4})/g, "缺少 $1 年工作日历"],
  [/ \(([^()]*?): not checked for a day off\)/g, "（$1，未核对是否休息日）"],
  [/, a day off \(([^()]*?): not moved\)/g, "，为休息日（$1，未顺延）"],
  [/no working day before 9999-12-31/g, "9999-12-31 前无工作日"],
  [/ \(rules of district ([^:()]+): policies\.rectify\.districts\.[^)]*\)/g, "（适用区县 $1 的规则）"],
  [/^extended from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d): /, "由 $1 延长至 $2，理由："],
];

export function explainChinese(text) {
  if (!text) return text;
  let out = String(text);
  for (const [pattern, to] of RULES) out = out.replace(pattern, to);
  return out;
}
