/*  public.c: the public channel's decisions (see public.h); no I/O. */
#include "services/gateway/public.h"

#include "common/codec.h"
#include "common/hash.h"
#include "common/schema.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MINUTE 60
#define HOUR 3600
#define PROBES 8
#define CHALLENGE_VERSION "x1"

struct public_state {
    public_conf_t conf;
    unsigned char pow_key[32];
    struct used { unsigned char mac[16]; int64_t expires; } *used;
    int64_t burst_minute;            /* the minute the count is of */
    unsigned burst_count, burst_last; /* this minute's reports, the last minute's */
    struct addr_entry {
        unsigned char addr[16];
        bool used;
        int64_t minute, hour;        /* the windows the counts are of */
        unsigned requests, receipts, reports;
        size_t bytes;
    } *addrs;
};

/* --- configuration ---------------------------------------------------------------------- */

static bool
s_uint (const json_t *obj, const char *name, unsigned long long def, unsigned long long min,
        unsigned long long max, unsigned long long *out, char *why, size_t why_len)
{
    const json_t *v = json_object_get (obj, name);
    if (!v) {
        *out = def;
        return true;
    }
    if (!json_is_integer (v) || json_integer_value (v) < 0
        || (unsigned long long) json_integer_value (v) < min
        || (unsigned long long) json_integer_value (v) > max) {
        snprintf (why, why_len, "services.gateway.public.%s: an integer from %llu to %llu", name,
                  min, max);
        return false;
    }
    *out = (unsigned long long) json_integer_value (v);
    return true;
}

int
public_conf_read (const json_t *gateway, public_conf_t *conf, char *why, size_t why_len)
{
    memset (conf, 0, sizeof *conf);
    const json_t *pub = json_object_get (gateway, "public");
    if (!pub)
        return 0;
    if (!json_is_object (pub)) {
        snprintf (why, why_len, "services.gateway.public: an object");
        return -1;
    }
    static const char *const known[] = { "key", "base_url", "pwhash_ops", "pwhash_mem_bytes",
                                         "pow_bits", "pow_bits_burst", "pow_ttl_seconds",
                                         "burst_reports_per_minute", "requests_per_minute",
                                         "receipts_per_minute", "reports_per_hour",
                                         "upload_bytes_per_hour", "addresses_tracked",
                                         "pow_used_max", NULL };
    const char *name;
    const json_t *v;
    json_object_foreach ((json_t *) pub, name, v) {
        size_t i = 0;
        while (known[i] && strcmp (known[i], name) != 0)
            i++;
        if (!known[i]) {
            snprintf (why, why_len, "services.gateway.public.%.64s: not a known member", name);
            return -1;
        }
    }
    conf->on = true;
    conf->key = json_string_value (json_object_get (pub, "key"));
    conf->base_url = json_string_value (json_object_get (pub, "base_url"));
    if (!conf->key || !*conf->key) {
        snprintf (why, why_len, "services.gateway.public.key: the public principal's key file, required");
        return -1;
    }
    if (!conf->base_url || strncmp (conf->base_url, "http", 4) != 0 || strlen (conf->base_url) > 200
        || strpbrk (conf->base_url, " \"<>?#&")) {
        snprintf (why, why_len, "services.gateway.public.base_url: the public page's origin "
                                "(http:// or https://, at most 200 bytes, no query), required");
        return -1;
    }
    unsigned long long x[12];
    if (!s_uint (pub, "pwhash_ops", crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_OPSLIMIT_MIN,
                 20, &x[0], why, why_len)
        || !s_uint (pub, "pwhash_mem_bytes", 16ull << 20, 1ull << 13, 1ull << 30, &x[1], why, why_len)
        || !s_uint (pub, "pow_bits", 18, 0, 32, &x[2], why, why_len)
        || !s_uint (pub, "pow_bits_burst", 22, 0, 32, &x[3], why, why_len)
        || !s_uint (pub, "pow_ttl_seconds", 600, 10, 86400, &x[4], why, why_len)
        || !s_uint (pub, "burst_reports_per_minute", 30, 1, 1000000, &x[5], why, why_len)
        || !s_uint (pub, "requests_per_minute", 60, 1, 1000000, &x[6], why, why_len)
        || !s_uint (pub, "receipts_per_minute", 10, 1, 1000000, &x[7], why, why_len)
        || !s_uint (pub, "reports_per_hour", 10, 1, 1000000, &x[8], why, why_len)
        || !s_uint (pub, "upload_bytes_per_hour", 64ull << 20, 1, 1ull << 40, &x[9], why, why_len)
        || !s_uint (pub, "addresses_tracked", 4096, PROBES, 1u << 22, &x[10], why, why_len)
        || !s_uint (pub, "pow_used_max", 65536, PROBES, 1u << 24, &x[11], why, why_len))
        return -1;
    conf->pwhash_ops = x[0];
    conf->pwhash_mem = (size_t) x[1];
    conf->pow_bits = (unsigned) x[2];
    conf->pow_bits_burst = (unsigned) (x[3] < x[2] ? x[2] : x[3]);
    conf->pow_ttl_s = (unsigned) x[4];
    conf->burst_reports = (unsigned) x[5];
    conf->requests_per_minute = (unsigned) x[6];
    conf->receipts_per_minute = (unsigned) x[7];
    conf->reports_per_hour = (unsigned) x[8];
    conf->upload_bytes_per_hour = (size_t) x[9];
    conf->tracked = (size_t) x[10];
    conf->pow_used_max = (size_t) x[11];
    return 0;
}

/* --- routes ----------------------------------------------------------------------------- */

public_route_t
public_route_of (const char *url)
{
    static const struct { const char *path; public_route_t route; } routes[] = {
        { "/v1/public/pow", PUBLIC_POW }, { "/v1/public/info", PUBLIC_INFO },
        { "/v1/public/report", PUBLIC_REPORT }, { "/v1/public/receipt", PUBLIC_RECEIPT },
        { "/v1/public/answer", PUBLIC_ANSWER }, { "/v1/public/files", PUBLIC_FILES },
        { "/v1/public/qr", PUBLIC_QR } };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp (url, routes[i].path) == 0)
            return routes[i].route;
    return PUBLIC_NONE;
}

static bool
s_media_is_json (const char *value)
{
    static const char json[] = "application/json";
    size_t n = sizeof json - 1;
    if (!value || strncasecmp (value, json, n) != 0)
        return false;
    const char *rest = value + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

int
public_route_check (public_route_t route, const char *method, const char *content_type,
                    const char **allow, request_problem_t *problem)
{
    *allow = NULL;
    bool get = route == PUBLIC_POW || route == PUBLIC_INFO || route == PUBLIC_QR;
    if (route == PUBLIC_NONE) {
        request_problem_set (problem, 404, "not-found", "路径不存在",
                             "no such public route (docs/services/gateway.md, \"The public channel\")");
        return -1;
    }
    if (get ? strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0
            : strcmp (method, "POST") != 0) {
        *allow = get ? "GET, HEAD" : "POST";
        request_problem_set (problem, 405, "method-not-allowed", "不支持的请求方法",
                             "this public route takes %s", *allow);
        return -1;
    }
    if (!get && !s_media_is_json (content_type)) {
        request_problem_set (problem, 415, "unsupported-media-type", "不支持的内容类型",
                             "the body must be JSON sent as application/json");
        return -1;
    }
    return 0;
}

/* --- bodies ----------------------------------------------------------------------------- */

bool
public_code_valid (const char *code)
{
    if (!code || strlen (code) != 16)
        return false;
    for (size_t i = 0; i < 16; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return true;
}

static int
s_bad (request_problem_t *problem, const char *code, const char *title, const char *detail)
{
    request_problem_set (problem, 400, code, title, "%s", detail);
    return -1;
}

/* The members a route's body takes; those marked '?' optional. */
static const char *const *
s_members (public_route_t route)
{
    static const char *const report[] = { "round", "unit", "text", "code", "?contact_sealed",
                                          "?evidence", "pow", NULL };
    static const char *const receipt[] = { "code", "pow", NULL };
    static const char *const answer[] = { "code", "question", "text", "?evidence", "pow", NULL };
    return route == PUBLIC_REPORT ? report : route == PUBLIC_RECEIPT ? receipt : answer;
}

static int
s_members_check (const json_t *doc, const char *const *members, request_problem_t *problem)
{
    const char *name;
    const json_t *v;
    json_object_foreach ((json_t *) doc, name, v) {
        size_t i = 0;
        while (members[i] && strcmp (members[i] + (members[i][0] == '?'), name) != 0)
            i++;
        if (!members[i]) {
            request_problem_set (problem, 400, "unknown-member", "请求中有不认识的字段",
                                 "the body has a member '%.64s' this route does not take", name);
            return -1;
        }
    }
    for (size_t i = 0; members[i]; i++)
        if (members[i][0] != '?' && !json_object_get (doc, members[i])) {
            request_problem_set (problem, 400, "missing-member", "请求缺少必填字段",
                                 "the body has no '%s'", members[i]);
            return -1;
        }
    return 0;
}

static int
s_string (const json_t *doc, const char *name, size_t max, request_problem_t *problem)
{
    const json_t *v = json_object_get (doc, name);
    if (!v)
        return 0;
    if (!json_is_string (v) || json_string_length (v) < 1 || json_string_length (v) > max) {
        request_problem_set (problem, 400, "bad-member", "请求字段格式不正确",
                             "'%s' must be a string of 1 to %zu bytes", name, max);
        return -1;
    }
    if (strlen (json_string_value (v)) != json_string_length (v)) {
        request_problem_set (problem, 400, "bad-member", "请求字段格式不正确",
                             "'%s' must not hold a NUL character", name);
        return -1;
    }
    return 0;
}

/* public.answer's question: intake's id of it, a positive integer */
static int
s_question (const json_t *doc, request_problem_t *problem)
{
    const json_t *v = json_object_get (doc, "question");
    if (v && (!json_is_integer (v) || json_integer_value (v) < 1))
        return s_bad (problem, "bad-member", "请求字段格式不正确", "'question' must be a question's id (an integer from 1)");
    return 0;
}

static int
s_pow_take (const json_t *doc, public_req_t *req, request_problem_t *problem)
{
    const json_t *pow = json_object_get (doc, "pow");
    const char *c = json_string_value (json_object_get (pow, "challenge"));
    const char *n = json_string_value (json_object_get (pow, "nonce"));
    if (!json_is_object (pow) || json_object_size (pow) != 2 || !c || !n
        || strlen (c) >= sizeof req->challenge || strlen (n) < 1 || strlen (n) > 20
        || strspn (n, "0123456789") != strlen (n))
        return s_bad (problem, "pow-invalid", "计算验证无效，请刷新页面重试",
                      "'pow' must be {\"challenge\": from GET /v1/public/pow, \"nonce\": 1-20 decimal digits}");
    snprintf (req->challenge, sizeof req->challenge, "%s", c);
    snprintf (req->nonce, sizeof req->nonce, "%s", n);
    return 0;
}

static int
s_code_take (const json_t *doc, public_req_t *req, request_problem_t *problem)
{
    const char *code = json_string_value (json_object_get (doc, "code"));
    if (!public_code_valid (code))
        return s_bad (problem, "bad-code", "查询码应为16位数字", "'code' must be exactly 16 decimal digits");
    memcpy (req->code, code, 17);
    return 0;
}

/* contact_sealed: exactly epk, nonce, box, each a base64 string (intake opens it) */
static int
s_sealed_check (const json_t *doc, request_problem_t *problem)
{
    const json_t *s = json_object_get (doc, "contact_sealed");
    if (!s)
        return 0;
    static const char *const parts[] = { "epk", "nonce", "box" };
    bool ok = json_is_object (s) && json_object_size (s) == 3;
    for (size_t i = 0; ok && i < 3; i++) {
        const json_t *v = json_object_get (s, parts[i]);
        const char *t = json_string_value (v);
        ok = t && json_string_length (v) >= 1 && json_string_length (v) <= 4096
             && strspn (t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")
                == json_string_length (v);
    }
    return ok ? 0 : s_bad (problem, "bad-contact", "联系方式加密格式不正确",
                           "'contact_sealed' must be {\"epk\", \"nonce\", \"box\"}, base64 strings");
}

static int
s_evidence_check (const json_t *doc, request_problem_t *problem)
{
    const json_t *e = json_object_get (doc, "evidence");
    if (!e)
        return 0;
    size_t i;
    const json_t *entry;
    bool ok = json_is_array (e) && json_array_size (e) <= 64;
    json_array_foreach ((json_t *) e, i, entry) {
        if (!ok)
            break;
        ok = json_is_object (entry) && json_object_size (entry) == 2
             && json_is_string (json_object_get (entry, "file"))
             && json_is_string (json_object_get (entry, "sha256"));
    }
    return ok ? 0 : s_bad (problem, "bad-evidence", "附件列表格式不正确",
                           "'evidence' must be an array of at most 64 {\"file\", \"sha256\"}");
}

static int
s_files_parse (json_t *doc, public_req_t *req, request_problem_t *problem)
{
    const char *op = json_string_value (json_object_get (doc, "op"));
    static const char *const begin[] = { "op", "name", "size", "sha256", NULL };
    static const char *const append[] = { "op", "upload", "offset", "data", NULL };
    static const char *const status[] = { "op", "upload", NULL };
    const char *const *members = !op ? NULL : strcmp (op, "begin") == 0 ? begin
                               : strcmp (op, "append") == 0 ? append
                               : strcmp (op, "status") == 0 ? status : NULL;
    if (!members)
        return s_bad (problem, "bad-op", "上传操作不正确", "'op' must be \"begin\", \"append\" or \"status\"");
    if (s_members_check (doc, members, problem) != 0)
        return -1;
    snprintf (req->type, sizeof req->type, "file.%s", op);
    if (strcmp (op, "append") == 0) {
        const json_t *data = json_object_get (doc, "data");
        if (!json_is_string (data))
            return s_bad (problem, "bad-member", "请求字段格式不正确", "'data' must be a base64 string");
        req->upload_bytes = json_string_length (data) / 4 * 3;
    }
    json_object_del (doc, "op");
    return 0;
}

int
public_body_parse (public_route_t route, const char *bytes, size_t len, public_req_t *req,
                   request_problem_t *problem)
{
    memset (req, 0, sizeof *req);
    req->route = route;
    json_error_t jerr;
    json_t *doc = bytes ? json_loadb (bytes, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!json_is_object (doc)) {
        json_decref (doc);
        return s_bad (problem, "bad-json", "请求内容不是有效的数据",
                      "the body must be one JSON object in UTF-8 without a repeated member");
    }
    int rc = -1;
    if (route == PUBLIC_FILES) {
        if (s_files_parse (doc, req, problem) != 0)
            goto done;
    } else {
        if (s_members_check (doc, s_members (route), problem) != 0 || s_pow_take (doc, req, problem) != 0
            || s_code_take (doc, req, problem) != 0)
            goto done;
        if (s_string (doc, "round", 64, problem) != 0 || s_string (doc, "unit", 64, problem) != 0
            || s_question (doc, problem) != 0
            || s_string (doc, "text", 65536, problem) != 0
            || s_sealed_check (doc, problem) != 0 || s_evidence_check (doc, problem) != 0)
            goto done;
        const char *round = json_string_value (json_object_get (doc, "round"));
        const char *unit = json_string_value (json_object_get (doc, "unit"));
        if ((round && !xc_id_valid (round)) || (unit && !xc_id_valid (unit))) {
            s_bad (problem, "bad-id", "巡察轮次或单位编号不正确",
                   "'round' and 'unit' must be ids (1-64 of A-Z a-z 0-9 . _ : -)");
            goto done;
        }
        json_object_del (doc, "code");
        json_object_del (doc, "pow");
        snprintf (req->type, sizeof req->type, "%s",
                  route == PUBLIC_REPORT ? "public.report"
                  : route == PUBLIC_RECEIPT ? "public.status" : "public.answer");
    }
    req->data = doc;
    doc = NULL;
    rc = 0;
done:
    json_decref (doc);
    if (rc != 0)
        public_req_clear (req);
    return rc;
}

int
public_query_check (public_route_t route, const char *round, const char *unit,
                    const char *format, request_problem_t *problem)
{
    if (!round || !xc_id_valid (round) || (unit && !xc_id_valid (unit)))
        return s_bad (problem, "bad-id", "巡察轮次或单位编号不正确",
                      "?round=R (and &unit=U) must be ids (1-64 of A-Z a-z 0-9 . _ : -)");
    if (route == PUBLIC_QR && format && strcmp (format, "svg") != 0 && strcmp (format, "png") != 0)
        return s_bad (problem, "bad-format", "二维码格式不正确", "format must be svg or png");
    return 0;
}

void
public_req_clear (public_req_t *req)
{
    json_decref (req->data);
    req->data = NULL;
    sodium_memzero (req->code, sizeof req->code);
}

/* --- the receipt code ------------------------------------------------------------------- */

void
public_salt (const char *deployment, unsigned char salt[16])
{
    static const char prefix[] = "xuncha receipt ";
    unsigned char h[XC_SHA256_BYTES];
    xc_sha256 (prefix, sizeof prefix - 1, deployment, strlen (deployment), h);
    memcpy (salt, h, 16);
}

int
public_code_hash (const char *code, const unsigned char salt[16], unsigned long long ops,
                  size_t mem, unsigned char hash[32])
{
    return crypto_pwhash (hash, 32, code, strlen (code), salt, ops, mem,
                          crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0 : -1;
}

void
public_report_id (const unsigned char hash[32], char id[37])
{
    xc_uuid_format (hash, 8, id);
}

void
public_hash_text (const unsigned char hash[32], char out[44])
{
    xc_b64url_encode_to (out, hash, 32);
}

/* --- state ------------------------------------------------------------------------------ */

public_t *
public_new (const public_conf_t *conf, const unsigned char seed[32])
{
    public_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->conf = *conf;
    self->used = calloc (conf->pow_used_max, sizeof *self->used);
    self->addrs = calloc (conf->tracked, sizeof *self->addrs);
    if (!self->used || !self->addrs) {
        public_destroy (&self);
        return NULL;
    }
    static const char label[] = "xuncha public pow challenge";
    crypto_auth_hmacsha256 (self->pow_key, (const unsigned char *) label, sizeof label - 1, seed);
    return self;
}

void
public_destroy (public_t **self_p)
{
    public_t *self = *self_p;
    if (!self)
        return;
    sodium_memzero (self->pow_key, sizeof self->pow_key);
    free (self->used);
    free (self->addrs);
    free (self);
    *self_p = NULL;
}

/* --- proof of work ---------------------------------------------------------------------- */

static void
s_burst_roll (public_t *self, int64_t now)
{
    int64_t minute = now / MINUTE;
    if (minute != self->burst_minute) {
        self->burst_last = minute == self->burst_minute + 1 ? self->burst_count : 0;
        self->burst_count = 0;
        self->burst_minute = minute;
    }
}

unsigned
public_pow_bits (public_t *self, int64_t now)
{
    s_burst_roll (self, now);
    unsigned seen = self->burst_count > self->burst_last ? self->burst_count : self->burst_last;
    return seen >= self->conf.burst_reports ? self->conf.pow_bits_burst : self->conf.pow_bits;
}

void
public_report_seen (public_t *self, int64_t now)
{
    s_burst_roll (self, now);
    self->burst_count++;
}

/* mac over "x1.<expires>.<bits>.<random>", the first 16 bytes of HMAC-SHA256 */
static void
s_mac (const public_t *self, const char *text, size_t len, unsigned char mac[16])
{
    unsigned char full[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init (&st, self->pow_key, sizeof self->pow_key);
    crypto_auth_hmacsha256_update (&st, (const unsigned char *) text, len);
    crypto_auth_hmacsha256_final (&st, full);
    memcpy (mac, full, 16);
}

char *
public_pow_issue (public_t *self, int64_t now)
{
    unsigned char rnd[16], mac[16];
    randombytes_buf (rnd, sizeof rnd);
    char rhex[33], mhex[33], text[160];
    xc_hex_encode (rnd, sizeof rnd, rhex);
    unsigned bits = public_pow_bits (self, now);
    int64_t expires = now + self->conf.pow_ttl_s;
    int n = snprintf (text, sizeof text, CHALLENGE_VERSION ".%lld.%u.%s", (long long) expires, bits, rhex);
    s_mac (self, text, (size_t) n, mac);
    xc_hex_encode (mac, sizeof mac, mhex);
    snprintf (text + n, sizeof text - (size_t) n, ".%s", mhex);
    json_t *doc = json_pack ("{s:s, s:i, s:I}", "challenge", text, "bits", (int) bits, "expires",
                             (json_int_t) expires);
    char *out = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
    json_decref (doc);
    return out;
}

static unsigned
s_leading_zero_bits (const unsigned char *h, size_t n)
{
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i] == 0) {
            bits += 8;
            continue;
        }
        for (unsigned char b = 0x80; b && !(h[i] & b); b >>= 1)
            bits++;
        break;
    }
    return bits;
}

int
public_pow_redeem (public_t *self, const char *challenge, const char *nonce, int64_t now,
                   request_problem_t *problem)
{
    long long expires;
    unsigned bits;
    char rhex[33], mhex[33];
    int used = 0;
    size_t clen = strlen (challenge);
    if (clen > 120
        || sscanf (challenge, CHALLENGE_VERSION ".%18lld.%2u.%32[0-9a-f].%32[0-9a-f]%n", &expires,
                   &bits, rhex, mhex, &used) != 4
        || (size_t) used != clen || strlen (rhex) != 32 || strlen (mhex) != 32 || bits > 32)
        return s_bad (problem, "pow-invalid", "计算验证无效，请刷新页面重试",
                      "the challenge is not one GET /v1/public/pow gives");
    unsigned char mac[16], given[16];
    s_mac (self, challenge, clen - 33, mac);
    for (int i = 0; i < 16; i++) {
        unsigned v;
        sscanf (mhex + 2 * i, "%2x", &v);
        given[i] = (unsigned char) v;
    }
    if (sodium_memcmp (mac, given, 16) != 0)
        return s_bad (problem, "pow-invalid", "计算验证无效，请刷新页面重试",
                      "the challenge was not made by this deployment's gateways");
    if (expires < now)
        return s_bad (problem, "pow-expired", "计算验证已过期，请重新提交",
                      "the challenge has expired: get a new one (GET /v1/public/pow)");
    unsigned char h[XC_SHA256_BYTES];
    char input[200];
    int n = snprintf (input, sizeof input, "%s:%s", challenge, nonce);
    xc_sha256 (input, (size_t) n, NULL, 0, h);
    if (s_leading_zero_bits (h, sizeof h) < bits)
        return s_bad (problem, "pow-unsolved", "计算验证未完成，请重试",
                      "SHA-256(challenge \":\" nonce) has fewer leading zero bits than the challenge asks");
    /* used once: remembered until it expires, in a bounded table */
    uint64_t slot = 0;
    memcpy (&slot, mac, sizeof slot);
    struct used *free_slot = NULL;
    for (int p = 0; p < PROBES; p++) {
        struct used *u = &self->used[(slot + (uint64_t) p) % self->conf.pow_used_max];
        if (u->expires >= now && memcmp (u->mac, mac, 16) == 0)
            return s_bad (problem, "pow-used", "计算验证已使用，请重新提交",
                          "the challenge has been used already: get a new one");
        if (!free_slot && u->expires < now)
            free_slot = u;
    }
    if (!free_slot) {
        request_problem_set (problem, 503, "busy", "访问人数较多，请稍后再试",
                             "too many challenges in use (services.gateway.public.pow_used_max)");
        return -1;
    }
    memcpy (free_slot->mac, mac, 16);
    free_slot->expires = expires;
    return 0;
}

/* --- per-address limits ----------------------------------------------------------------- */

static struct addr_entry *
s_addr (public_t *self, const unsigned char addr[16], int64_t now)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 1099511628211ull;
    struct addr_entry *victim = NULL;
    for (int p = 0; p < PROBES; p++) {
        struct addr_entry *e = &self->addrs[(h + (uint64_t) p) % self->conf.tracked];
        if (e->used && memcmp (e->addr, addr, 16) == 0)
            return e;
        /* an entry whose hour is over counts nothing: as good as free */
        bool stale = !e->used || e->hour != now / HOUR;
        if (!victim || (stale && victim->used && victim->hour == now / HOUR)
            || (!stale && victim->used && e->minute < victim->minute))
            victim = e;
    }
    memset (victim, 0, sizeof *victim);
    memcpy (victim->addr, addr, 16);
    victim->used = true;
    victim->minute = now / MINUTE;
    victim->hour = now / HOUR;
    return victim;
}

unsigned
public_limit (public_t *self, const unsigned char addr[16], public_route_t route, size_t bytes,
              int64_t now)
{
    struct addr_entry *e = s_addr (self, addr, now);
    if (e->minute != now / MINUTE) {
        e->minute = now / MINUTE;
        e->requests = e->receipts = 0;
    }
    if (e->hour != now / HOUR) {
        e->hour = now / HOUR;
        e->reports = 0;
        e->bytes = 0;
    }
    unsigned to_minute = (unsigned) (MINUTE - now % MINUTE), to_hour = (unsigned) (HOUR - now % HOUR);
    if (e->requests >= self->conf.requests_per_minute)
        return to_minute;
    if (route == PUBLIC_RECEIPT && e->receipts >= self->conf.receipts_per_minute)
        return to_minute;
    if (route == PUBLIC_REPORT && e->reports >= self->conf.reports_per_hour)
        return to_hour;
    if (bytes && (bytes > self->conf.upload_bytes_per_hour
                  || e->bytes > self->conf.upload_bytes_per_hour - bytes))
        return to_hour;
    e->requests++;
    e->receipts += route == PUBLIC_RECEIPT;
    e->reports += route == PUBLIC_REPORT;
    e->bytes += bytes;
    return 0;
}
