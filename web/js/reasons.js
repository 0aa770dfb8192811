// reasons.js: every refusal a person may meet, in Chinese. A service refuses with a signed
// error reply {code, message}: the code is the protocol's contract (docs/protocol.md section 5),
// the message English text for developers (the C format strings of services/ and common/).
// The gateway refuses with a problem document (wire.js's Problem, docs/services/gateway.md).
// Refusal carries both: code and text as sent, chinese to show. docs/console.md, "Refusals in
// Chinese".

import { Problem, ReplyRefused } from "./wire.js";
import { word } from "./words.js";
import { MESSAGES, PHRASES, PHRASE_PATTERNS, SERVICE_REASONS } from "./reasons_table.js";

// The protocol's error codes (section 5), and the local codes a service may still send
// (config, io, internal: a fault of the service, never of the person).
export const CODES = {
  too_large: "消息过大，超出系统允许的长度。",
  malformed: "消息格式不正确，服务无法读取。",
  duplicate_key: "消息中有重复的字段。",
  bad_alg: "消息的签名算法不受支持。",
  bad_typ: "消息的类型标记不正确。",
  unknown_kid: "您的密钥尚未登记或已被移除，请联系巡察办。",
  kid_issuer_mismatch: "签名密钥与署名的人员不符。",
  key_not_valid: "您的密钥不在有效期内或已被撤销，请联系巡察办重新登记。",
  bad_signature: "签名验证未通过，消息可能在途中被改动。",
  wrong_audience: "消息发往了错误的服务。",
  expired: "消息已过期，请重新操作。",
  iat_skew: "本机时间与服务器相差过大，请校准电脑时间后重试。",
  unknown_type: "服务不支持此项操作。",
  forbidden: "您无权执行此项操作。",
  schema: "填写的内容不符合要求。",
  replayed: "同一编号的消息已用不同内容提交过。",
  not_found: "所查找的对象不存在。",
  conflict: "此项操作与当前状态不符，无法执行。",
  unavailable: "服务暂不可用，请稍后重试。",
  busy: "服务正忙，请稍后重试。",
  config: "服务配置有误，请联系系统管理员。",
  io: "服务读写文件失败，请联系系统管理员。",
  internal: "服务内部错误，请联系系统管理员。",
  // the console's own, for what never reached a verified answer
  reply_refused: "服务的答复未通过签名验证，不予采信。",
  no_answer: "服务没有答复，请检查网络后重试。",
};

// The gateway's problem codes (type urn:xuncha:gateway:<code>), the titles of
// docs/services/gateway.md's table made into sentences.
export const GATEWAY = {
  "not-found": "请求的路径不存在。",
  "unknown-service": "请求的服务不存在。",
  "method-not-allowed": "不支持的请求方法。",
  "unsupported-media-type": "不支持的内容类型。",
  "too-large": "消息过大，超出系统允许的长度。",
  "unreadable-payload": "网关无法读取消息。",
  "audience-mismatch": "请求路径与消息的接收服务不符。",
  "service-unreachable": "服务暂不可用，请稍后重试。",
  "no-answer": "服务未在时限内答复，请稍后重试。",
  "stopping": "网关正在停止，请稍后重试。",
  "registry-unreadable": "注册表无法读取，请联系系统管理员。",
  "too-many-streams": "事件流连接过多，请稍后重试。",
  "too-many-requests": "请求过于频繁，请稍后重试。",
  "bad-request": "请求格式错误。",
  "not-implemented": "未实现的请求方法。",
  "unsupported-transfer-coding": "不支持的传输编码。",
  "client-certificate": "客户端证书与签发者不符。",
  "public-off": "本平台未开通码上巡。",
  "busy": "访问人数较多，请稍后再试。",
  "signing-failed": "网关内部错误，请稍后重试。",
  "qr-failed": "二维码生成失败。",
};

const UNKNOWN = "请求被拒绝。";

// The roles of the registry (docs/protocol.md section 8), for reasons that name one.
export const ROLES = {
  office: "巡察办", team: "巡察组", unit: "被巡察单位", discipline: "纪检监察机关",
  petition: "信访部门", audit: "审计部门", public: "群众", district: "县（区）巡察机构",
  department: "市直部门", service: "系统服务", gateway: "网关", enrollee: "登记申请人",
};

// The services by the name a person knows them by.
export const SERVICES = {
  intake: "问题登记服务", referral: "移交服务", rectify: "整改服务", notify: "通知服务",
  registry: "人员登记服务", echo: "演示服务", gateway: "网关",
};

// schema.c's type names (s_type_name).
const TYPES = {
  "string": "文本", "string or null": "文本或空", "integer": "整数", "boolean": "是或否",
  "object": "对象", "array": "列表", "value": "值",
  "id (1-64 of A-Z a-z 0-9 . _ : -)": "编号（1-64 个字母、数字或 . _ : -）",
  "date YYYY-MM-DD": "日期（年-月-日）",
};

// A C format string as a pattern: each conversion captures, the rest is literal. Strings
// (%s, %.80s, %.*s) take anything (a reason may be cut at 255 bytes, then it just won't match),
// numbers digits.
const CONVERSION = /%(?:%|[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|z|j|t)?[diuxXscp])/g;
export function formatPattern(format) {
  let source = "";
  let last = 0;
  let literal = 0;
  for (const m of format.matchAll(CONVERSION)) {
    source += escape(format.slice(last, m.index));
    literal += m.index - last;
    last = m.index + m[0].length;
    if (m[0] === "%%") { source += "%"; literal++; continue; }
    const c = m[0].at(-1);
    source += c === "s" ? "([\\s\\S]*?)" : c === "c" ? "([\\s\\S])" : "(-?\\d+)";
  }
  source += escape(format.slice(last));
  literal += format.length - last;
  return { re: new RegExp(`^${source}$`), literal };
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// The table compiled once, the most specific first ("%s: expected object" before
// "%s: expected %s").
let compiled = null;
function table() {
  if (!compiled) {
    compiled = SERVICE_REASONS.map(([format, chinese]) => ({ format, chinese, ...formatPattern(format) }))
      .sort((a, b) => b.literal - a.literal);
  }
  return compiled;
}

// A member path as a person reads it: "data.items[2].text" -> "items[2].text".
function field(path) {
  return path.replace(/^data\.?/, "") || "内容";
}

// An English fragment as a person reads it, or nothing.
function phrase(v) {
  if (v in PHRASES) return PHRASES[v];
  for (const [re, chinese] of PHRASE_PATTERNS) if (re.test(v)) return v.replace(re, chinese);
  return "";
}

// Places the captured values into a template: {1} as it is, {1:word:member} through words.js,
// {1:role}, {1:service}, {1:type}, {1:field}, {1:message}, {1:phrase}, {1:reason} (a reason inside a reason, translated too).
function place(template, values, depth) {
  return template.replace(/\{(\d+)(?::([a-z_]+)(?::([a-z_]+))?)?\}/g, (_, n, how, arg) => {
    const v = values[Number(n) - 1] ?? "";
    switch (how) {
      case "word": return word(arg, v);
      case "role": return ROLES[v] ?? v;
      case "service": return SERVICES[v] ?? v;
      case "type": return TYPES[v] ?? v;
      case "field": return field(v);
      case "phrase": return phrase(v);
      case "message": return MESSAGES[v] ?? v;
      case "reason": return depth < 3 ? (reasonMatch(v, depth + 1) ?? "") : "";
      default: return v;
    }
  });
}

// The entry a service's reason text comes from, with its Chinese placed: {format, chinese},
// or null when no entry matches.
export function reasonFind(text, depth = 0) {
  if (typeof text !== "string") return null;
  for (const entry of table()) {
    const m = entry.re.exec(text);
    if (m) return { format: entry.format, chinese: place(entry.chinese, m.slice(1), depth) };
  }
  return null;
}

// The Chinese of a service's reason text, or null when no entry matches.
export function reasonMatch(text, depth = 0) {
  return reasonFind(text, depth)?.chinese ?? null;
}

// The Chinese for a code and the service's text: the specific reason when known, else the
// code's sentence (never the English).
export function reasonChinese(code, text) {
  const specific = reasonMatch(text);
  if (specific) return specific;
  return CODES[code] ?? UNKNOWN;
}

// A refusal: code and text as the service or gateway sent them, chinese to show, status the
// HTTP status where there was one.
export class Refusal extends Error {
  constructor(code, text, chinese, status = null) {
    super(chinese);
    this.name = "Refusal";
    this.code = code;
    this.text = text;
    this.chinese = chinese;
    this.status = status;
    this.transient = code === "unavailable" || code === "busy" || status === 503 || status === 504;
  }
}

// A Refusal from what refused: a verified error reply's body ({type: "error", data: {code,
// message}}) or its data, wire.js's Problem (the gateway's own), ReplyRefused (an answer not
// believed), or the Error of no answer at all. status: the HTTP status of a reply, if known.
export function refusalFrom(what, status = null) {
  if (what instanceof Refusal) return what;
  if (what instanceof Problem || what?.name === "Problem") {
    const code = what.code || "";
    const chinese = GATEWAY[code] ?? (/[\u4e00-\u9fff]/.test(what.title || "") ? what.title : UNKNOWN);
    return new Refusal(code || `http_${what.status}`, what.detail || what.title || "", chinese,
                       what.status ?? status);
  }
  if (what instanceof ReplyRefused || what?.name === "ReplyRefused")
    return new Refusal("reply_refused", what.message, CODES.reply_refused, status);
  if (what instanceof Error)
    return new Refusal("no_answer", what.message, CODES.no_answer, status);
  const data = what?.type === "error" && what?.data ? what.data : what;
  const code = typeof data?.code === "string" ? data.code : "";
  const text = typeof data?.message === "string" ? data.message : "";
  return new Refusal(code, text, reasonChinese(code, text), status);
}

