// explain.js: a due date's explanation in Chinese. The services explain each deadline they
// compute in English (common/calendar.c xc_deadline_compute, rectify's and referral's own
// wordings: "2026-12-02 + 1 month = 2027-01-02, a weekend day: the period ends on the next
// working day, 2027-01-04 (Civil Code art. 203)"); a person reads it in Chinese, with the
// service's dates and numbers as they are. Nothing is recomputed: the text is only reworded.
// A text none of the patterns knows is returned as it came (better than nothing at all).

const D = '(\\d{4}-\\d{2}-\\d{2})';
const UNITS = { day: '天', workday: '个工作日', month: '个月' };

// The notes that may follow "= <date>", in the order calendar.c writes them.
const NOTES = [
  [/^ \(clamped to the end of the month\)/, () => '（该月无对应日期，取月末）'],
  [/^ \(((?:skipped [^)]*?)?(?:, )?(?:counted [^)]*)?)\)/, (m) => `（${m[1]
    .replace(/skipped (\d+) holidays? and (\d+) weekend days?/, '跳过节假日 $1 天、周末 $2 天')
    .replace(/skipped (\d+) holidays?/, '跳过节假日 $1 天')
    .replace(/skipped (\d+) weekend days?/, '跳过周末 $1 天')
    .replace(/, counted (\d+) make-up workdays?/, '，计入调休工作日 $1 天')
    .replace(/counted (\d+) make-up workdays?/, '计入调休工作日 $1 天')}）`],
  [new RegExp(`^, in a public holiday: the period ends on the next working day, ${D} \\(Civil Code art\\. 203\\)`),
    (m) => `；该日在法定节假日内，期间顺延至节后第一个工作日 ${m[1]}（《民法典》第二百零三条）`],
  [new RegExp(`^, a weekend day: the period ends on the next working day, ${D} \\(Civil Code art\\. 203\\)`),
    (m) => `；该日为休息日，期间顺延至下一个工作日 ${m[1]}（《民法典》第二百零三条）`],
  [/^ \(no working-day calendar for (\d{4}): not checked for a day off\)/,
    (m) => `（缺少 ${m[1]} 年工作日历，未核对是否休息日）`],
  [/^ \([^)]*: not checked for a day off\)/, () => '（未能核对是否休息日）'],
  [/^, a day off \([^)]*: not moved\)/, () => '；该日为休息日（未能顺延）'],
];

function computed(text) {
  const m = new RegExp(`^${D} \\+ (\\d+) (day|workday|month)s? = ${D}`).exec(text);
  if (!m) return null;
  let out = `自 ${m[1]} 起 ${m[2]} ${UNITS[m[3]]}，至 ${m[4]}`;
  let rest = text.slice(m[0].length);
  while (rest) {
    const rule = NOTES.find(([re]) => re.test(rest));
    if (!rule) return null;
    const n = rule[0].exec(rest);
    out += rule[1](n);
    rest = rest.slice(n[0].length);
  }
  return out;
}

export function explainChinese(text) {
  if (typeof text !== 'string' || !text) return text;
  let body = text, suffix = '';
  const district = / \(rules of district ([^:]+): policies\.rectify\.districts\.[^)]*\)$/.exec(body);
  if (district) {
    body = body.slice(0, district.index);
    suffix = `（按区县 ${district[1]} 的规则）`;
  }
  let out = computed(body);
  let m;
  if (!out && (m = new RegExp(`^extended from ${D} to ${D}: ([\\s\\S]*)$`).exec(body)))
    out = `由 ${m[1]} 延期至 ${m[2]}：${m[3]}`;
  if (!out && (m = /^measure (\d+)'s deadline in the plan$/.exec(body)))
    out = `整改方案中第 ${m[1]} 项措施的期限`;
  if (!out && (m = new RegExp(`^the latest measure deadline of the plan \\(the policy's date was ${D}\\)$`).exec(body)))
    out = `整改方案中最晚的措施期限（按规定原为 ${m[1]}）`;
  return out ? out + suffix : text;
}
