// reasons_table.js: the Chinese of every reason the services give, keyed by the C format
// string itself (collected by tests/python/reasonlib.py; test_reasons.py fails on a reason
// without an entry and on an entry no source has any more). reasons.js turns each format into
// a pattern; in the Chinese, {n} places the n-th value as it is, {n:word:member} its word
// (words.js), {n:role} a role, {n:type} a schema type, {n:field} a member path without
// "data.", {n:reason} a reason inside the reason, {n:phrase} one of PHRASES (else nothing).

// English fragments some reasons splice in with a %s, as people read them.
export const PHRASES = {
};

export const SERVICE_REASONS = [
  // common/schema.c: data against a message's schema
  ["%s: expected %s", "字段 {1:field}：应为{2:type}"],
  ["%s: expected object", "字段 {1:field}：应为对象"],
  ["%s: unknown key", "字段 {1:field}：不是此项操作的字段"],
  ["%s.%s: missing", "字段 {2}：必须填写"],
  ["%s: length %zu is outside %lld..%lld bytes", "字段 {1:field}：长度 {2} 字节，应在 {3} 至 {4} 字节之间"],
  ["%s: '%.60s' is not an allowed value", "字段 {1:field}：“{2}”不是允许的取值"],
  ["%s: %lld is outside %lld..%lld", "字段 {1:field}：{2} 超出允许范围（{3} 至 {4}）"],
  ["%s: %zu elements, allowed %lld..%lld", "字段 {1:field}：有 {2} 项，应为 {3} 至 {4} 项"],
  ["%s: more than %lld members", "字段 {1:field}：超过 {2} 项"],
  // common/service_batch.c: the pipeline
  ["'%s' has no '%s'", "服务 {1} 没有此项操作（{2}）"],
  ["role '%s' may not send '%s'", "{1:role}无权执行此项操作（{2}）"],
];
