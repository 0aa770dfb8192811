// spans.js: a policy's span as people say it ("3 months" 3 个月, "20 workdays" 20 个工作日,
// "the plan" 按整改方案), for the rules column of a deadline. The services give spans as their
// policy writes them (docs/configuration.md); nothing is computed here.

const UNITS = { day: '天', workday: '个工作日', month: '个月' };

export function spanChinese(text) {
  const m = /^(\d+) (day|workday|month)s?$/.exec(String(text ?? ''));
  if (m) return `${m[1]} ${UNITS[m[2]]}`;
  if (text === 'the plan') return '按整改方案';
  return text;
}

