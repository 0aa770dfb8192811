/*  public_test.c: the public channel's decisions (public.h): routes, bodies, the receipt
    code's hash and id, the PoW challenges, the per-address limits; and the time one pwhash
    takes at the default cost (printed, for docs/services/gateway.md). */
#include "services/gateway/public.h"

#include "services/gateway/hashing.h"

#include "common/hash.h"
#include "tests/harness.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <time.h>

/* the conf borrows its strings from *gw_p: the caller frees it after */
static public_conf_t
s_conf (const char *extra, json_t **gw_p)
{
    char text[1024];
    snprintf (text, sizeof text, "{\"public\": {\"key\": \"k.jwk\", \"base_url\": \"https://x.cn\"%s}}",
              extra ? extra : "");
    json_t *gw = json_loads (text, 0, NULL);
    *gw_p = gw;
    public_conf_t conf;
    char why[256];
    int rc = public_conf_read (gw, &conf, why, sizeof why);
    CHECK (rc == 0);
    return conf;
}

static void
test_conf (void)
{
    json_t *gw;
    public_conf_t conf = s_conf (NULL, &gw);
    CHECK (conf.on);
    CHECK (conf.pwhash_ops == crypto_pwhash_OPSLIMIT_INTERACTIVE);
    CHECK (conf.pwhash_mem == 16u << 20);
    CHECK_INT (conf.pow_bits, 18);
    char why[256];
    json_t *off = json_loads ("{}", 0, NULL);
    CHECK (public_conf_read (off, &conf, why, sizeof why) == 0 && !conf.on);
    json_t *bad = json_loads ("{\"public\": {\"key\": \"k\", \"base_url\": \"https://x.cn\", \"pow_bits\": 40}}", 0, NULL);
    CHECK (public_conf_read (bad, &conf, why, sizeof why) == -1);
    CHECK (strstr (why, "pow_bits") != NULL);
    json_t *nourl = json_loads ("{\"public\": {\"key\": \"k\"}}", 0, NULL);
    CHECK (public_conf_read (nourl, &conf, why, sizeof why) == -1);
    CHECK (strstr (why, "base_url") != NULL);
    json_decref (off);
    json_decref (bad);
    json_decref (nourl);
    json_decref (gw);
}

static void
test_routes (void)
{
    static const char *const names[] = { "intake" };
    request_world_t world = { .services = names, .n_services = 1, .max_body = 100, .public_on = true };
    request_t req;
    request_route (&world, "GET", "/v1/public/pow", NULL, NULL, &req);
    CHECK (req.action == REQUEST_PUBLIC && req.public_route == PUBLIC_POW);
    request_route (&world, "POST", "/v1/public/report", "application/json; charset=utf-8", "10", &req);
    CHECK (req.action == REQUEST_PUBLIC && req.public_route == PUBLIC_REPORT && !req.too_big);
    request_route (&world, "POST", "/v1/public/report", "application/json", "1000", &req);
    CHECK (req.action == REQUEST_PUBLIC && req.too_big);
    request_route (&world, "POST", "/v1/public/report", "text/plain", NULL, &req);
    CHECK (req.action == REQUEST_REFUSED && req.problem.status == 415);
    request_route (&world, "GET", "/v1/public/report", NULL, NULL, &req);
    CHECK (req.action == REQUEST_REFUSED && req.problem.status == 405);
    CHECK_STR (req.allow, "POST");
    request_route (&world, "POST", "/v1/public/qr", "application/json", NULL, &req);
    CHECK (req.action == REQUEST_REFUSED && req.problem.status == 405);
    request_route (&world, "GET", "/v1/public/../keys", NULL, NULL, &req);
    CHECK (req.action == REQUEST_REFUSED && req.problem.status == 404);
    request_route (&world, "GET", "/v1/public", NULL, NULL, &req);
    CHECK (req.action == REQUEST_REFUSED && req.problem.status == 404);
    world.public_on = false;
    request_route (&world, "GET", "/v1/public/pow", NULL, NULL, &req);
    CHECK (req.action == REQUEST_REFUSED && req.problem.status == 404);
    CHECK_STR (req.problem.code, "public-off");
}

static int
s_parse (public_route_t route, const char *body, const char *want_code)
{
    public_req_t req;
    request_problem_t problem = { 0 };
    int rc = public_body_parse (route, body, strlen (body), &req, &problem);
    if (want_code) {
        CHECK (rc == -1);
        CHECK_STR (problem.code, want_code);
        CHECK (problem.status == 400);
    }
    public_req_clear (&req);
    return rc;
}

static void
test_bodies (void)
{
    public_req_t req;
    request_problem_t problem;
    const char *good = "{\"round\": \"R-1\", \"unit\": \"U-A\", \"text\": \"路灯坏了\", \"code\": \"0123456789012345\","
                       " \"pow\": {\"challenge\": \"c\", \"nonce\": \"42\"}}";
    CHECK (public_body_parse (PUBLIC_REPORT, good, strlen (good), &req, &problem) == 0);
    CHECK_STR (req.type, "public.report");
    CHECK_STR (req.code, "0123456789012345");
    CHECK_STR (req.nonce, "42");
    /* the code and the pow never reach the data sent */
    CHECK (!json_object_get (req.data, "code") && !json_object_get (req.data, "pow"));
    CHECK_STR (json_string_value (json_object_get (req.data, "text")), "路灯坏了");
    public_req_clear (&req);
    CHECK (req.code[0] == '\0' && !req.data);
    s_parse (PUBLIC_REPORT, "{", "bad-json");
    s_parse (PUBLIC_REPORT, "{\"a\":1,\"a\":2}", "bad-json");
    s_parse (PUBLIC_RECEIPT, "{\"code\": \"012345678901234\", \"pow\": {\"challenge\": \"c\", \"nonce\": \"1\"}}", "bad-code");
    s_parse (PUBLIC_RECEIPT, "{\"code\": \"0123456789012345\", \"pow\": {\"challenge\": \"c\", \"nonce\": \"1x\"}}",
             "pow-invalid");
    s_parse (PUBLIC_RECEIPT, "{\"code\": \"0123456789012345\"}", "missing-member");
    s_parse (PUBLIC_RECEIPT, "{\"code\": \"0123456789012345\", \"pow\": {\"challenge\": \"c\", \"nonce\": \"1\"},"
                             " \"x\": 1}", "unknown-member");
    s_parse (PUBLIC_FILES, "{\"op\": \"rm\"}", "bad-op");
    s_parse (PUBLIC_FILES, "{\"op\": \"append\", \"upload\": \"u\", \"offset\": 0}", "missing-member");
    const char *append = "{\"op\": \"append\", \"upload\": \"u\", \"offset\": 0, \"data\": \"AAAAAAAA\"}";
    CHECK (public_body_parse (PUBLIC_FILES, append, strlen (append), &req, &problem) == 0);
    CHECK_STR (req.type, "file.append");
    CHECK (req.upload_bytes == 6 && !json_object_get (req.data, "op"));
    public_req_clear (&req);
    CHECK (public_code_valid ("0000000000000000") && !public_code_valid ("000000000000000a")
           && !public_code_valid ("00000000000000000") && !public_code_valid (NULL));
    CHECK (public_query_check (PUBLIC_QR, "R-1", NULL, "png", &problem) == 0);
    CHECK (public_query_check (PUBLIC_QR, "R-1", "U/1", "png", &problem) == -1);
    CHECK (public_query_check (PUBLIC_QR, "R-1", NULL, "gif", &problem) == -1);
    CHECK (public_query_check (PUBLIC_INFO, NULL, NULL, NULL, &problem) == -1);
}

static void
test_code_hash (void)
{
    unsigned char salt[16], want[32], h1[32], h2[32];
    xc_sha256 ("xuncha receipt ", 15, "pytest", 6, want);
    public_salt ("pytest", salt);
    CHECK (memcmp (salt, want, 16) == 0);
    struct timespec a, b;
    clock_gettime (CLOCK_MONOTONIC, &a);
    CHECK (public_code_hash ("0123456789012345", salt, crypto_pwhash_OPSLIMIT_INTERACTIVE, 16u << 20, h1) == 0);
    clock_gettime (CLOCK_MONOTONIC, &b);
    printf ("one crypto_pwhash (Argon2id, OPSLIMIT_INTERACTIVE, 16 MiB): %.1f ms\n",
            (double) (b.tv_sec - a.tv_sec) * 1e3 + (double) (b.tv_nsec - a.tv_nsec) / 1e6);
    CHECK (public_code_hash ("0123456789012345", salt, crypto_pwhash_OPSLIMIT_INTERACTIVE, 16u << 20, h2) == 0);
    CHECK (memcmp (h1, h2, 32) == 0);
    CHECK (public_code_hash ("0123456789012346", salt, crypto_pwhash_OPSLIMIT_INTERACTIVE, 16u << 20, h2) == 0);
    CHECK (memcmp (h1, h2, 32) != 0);
    char id[37], text[44];
    public_report_id (h1, id);
    CHECK (strlen (id) == 36 && id[14] == '8');
    public_hash_text (h1, text);
    CHECK (strlen (text) == 43);
}

static void
test_pow (void)
{
    json_t *gw;
    public_conf_t conf = s_conf (", \"pow_bits\": 4, \"pow_bits_burst\": 6, \"burst_reports_per_minute\": 2,"
                                 " \"pow_ttl_seconds\": 60, \"pow_used_max\": 8", &gw);
    unsigned char seed[32] = { 1 };
    public_t *p = public_new (&conf, seed);
    int64_t now = 1800000000;
    char *doc_text = public_pow_issue (p, now);
    json_t *doc = json_loads (doc_text, 0, NULL);
    const char *ch = json_string_value (json_object_get (doc, "challenge"));
    CHECK_INT (json_integer_value (json_object_get (doc, "bits")), 4);
    char nonce[24];
    for (unsigned n = 0;; n++) {
        char input[256];
        unsigned char h[32];
        snprintf (nonce, sizeof nonce, "%u", n);
        snprintf (input, sizeof input, "%s:%s", ch, nonce);
        xc_sha256 (input, strlen (input), NULL, 0, h);
        if ((h[0] >> 4) == 0)
            break;
    }
    request_problem_t problem;
    CHECK (public_pow_redeem (p, ch, nonce, now + 59, &problem) == 0);
    CHECK (public_pow_redeem (p, ch, nonce, now + 59, &problem) == -1);
    CHECK_STR (problem.code, "pow-used");
    /* another gateway with the same seed accepts it (fresh table), one with another does not */
    public_t *same = public_new (&conf, seed);
    CHECK (public_pow_redeem (same, ch, nonce, now, &problem) == 0);
    CHECK (public_pow_redeem (same, ch, nonce, now + 61, &problem) == -1);
    CHECK_STR (problem.code, "pow-expired");
    unsigned char seed2[32] = { 2 };
    public_t *other = public_new (&conf, seed2);
    CHECK (public_pow_redeem (other, ch, nonce, now, &problem) == -1);
    CHECK_STR (problem.code, "pow-invalid");
    /* a burst of reports raises the bits, for this minute and the next */
    CHECK_INT (public_pow_bits (p, now), 4);
    public_report_seen (p, now);
    public_report_seen (p, now);
    CHECK_INT (public_pow_bits (p, now), 6);
    CHECK_INT (public_pow_bits (p, now + 60), 6);
    CHECK_INT (public_pow_bits (p, now + 180), 4);
    free (doc_text);
    json_decref (doc);
    public_destroy (&p);
    public_destroy (&same);
    public_destroy (&other);
    json_decref (gw);
}

static void
test_limits (void)
{
    json_t *gw;
    public_conf_t conf = s_conf (", \"requests_per_minute\": 5, \"receipts_per_minute\": 2,"
                                 " \"reports_per_hour\": 3, \"upload_bytes_per_hour\": 100", &gw);
    unsigned char seed[32] = { 0 };
    public_t *p = public_new (&conf, seed);
    unsigned char a[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 }, b[16] = { [15] = 2 };
    int64_t now = 1800000000 - 1800000000 % 3600;     /* the start of an hour */
    CHECK_INT (public_limit (p, a, PUBLIC_RECEIPT, 0, now), 0);
    CHECK_INT (public_limit (p, a, PUBLIC_RECEIPT, 0, now), 0);
    CHECK_INT (public_limit (p, a, PUBLIC_RECEIPT, 0, now + 10), 50);   /* to the next minute */
    CHECK_INT (public_limit (p, b, PUBLIC_RECEIPT, 0, now + 10), 0);    /* another address */
    CHECK_INT (public_limit (p, a, PUBLIC_FILES, 60, now + 61), 0);
    CHECK (public_limit (p, a, PUBLIC_FILES, 60, now + 62) > 0);         /* the byte budget */
    CHECK_INT (public_limit (p, a, PUBLIC_FILES, 40, now + 63), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT (public_limit (p, a, PUBLIC_REPORT, 0, now + 120 + i), 0);
    CHECK_INT (public_limit (p, a, PUBLIC_REPORT, 0, now + 130), 3600 - 130);
    for (int i = 0; i < 5; i++)
        public_limit (p, b, PUBLIC_POW, 0, now + 180);
    CHECK_INT (public_limit (p, b, PUBLIC_POW, 0, now + 180), 60);
    public_destroy (&p);
    json_decref (gw);
}

static void
test_hashing (void)
{
    unsigned char salt[16] = { 9 }, want[32], got[32];
    hashing_t *h = hashing_new (crypto_pwhash_OPSLIMIT_MIN, 8192, salt, 2);
    CHECK (h != NULL);
    CHECK (hashing_submit (h, 1, "0000000000000001") == 0);
    CHECK (hashing_submit (h, 2, "0000000000000002") == 0);
    /* the worker may have taken the first already: a third may fit */
    int third = hashing_submit (h, 3, "0000000000000003");
    int seen = 0, want_n = third == 0 ? 3 : 2;
    for (int rounds = 0; seen < want_n && rounds < 100; rounds++) {
        struct pollfd p = { .fd = hashing_fd (h), .events = POLLIN };
        CHECK (poll (&p, 1, 5000) == 1);
        uint64_t job;
        bool ok;
        while (hashing_take (h, &job, got, &ok)) {
            char code[17];
            snprintf (code, sizeof code, "%016llu", (unsigned long long) job);
            CHECK (ok && public_code_hash (code, salt, crypto_pwhash_OPSLIMIT_MIN, 8192, want) == 0);
            CHECK (memcmp (got, want, 32) == 0);
            CHECK_INT ((int) job, seen + 1);            /* in the order submitted */
            seen++;
        }
    }
    CHECK_INT (seen, want_n);
    CHECK (hashing_submit (h, 9, "0000000000000009") == 0);   /* dropped by destroy, no leak */
    hashing_destroy (&h);
    CHECK (h == NULL);
}

int
main (void)
{
    CHECK (sodium_init () >= 0);
    RUN (test_conf);
    RUN (test_routes);
    RUN (test_bodies);
    RUN (test_code_hash);
    RUN (test_pow);
    RUN (test_limits);
    RUN (test_hashing);
    HARNESS_END ();
}
