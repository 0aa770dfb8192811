/*  filetype_test.c: types by content (filetype.h): real structures pass, polyglots, bombs,
    broken CRCs, active PDFs and other types are refused with their reason. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/filetype.h"
#include "tests/harness.h"

static size_t
s_be32 (unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
    return 4;
}

/*  A PNG chunk at out: length, type, body, CRC (computed here by hand, not by filetype.c). */
static size_t
s_chunk (unsigned char *out, const char *type, const unsigned char *body, uint32_t len)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t c = 0; c < 256; c++) {
            uint32_t v = c;
            for (int k = 0; k < 8; k++)
                v = v & 1 ? 0xEDB88320u ^ (v >> 1) : v >> 1;
            table[c] = v;
        }
    size_t n = s_be32 (out, len);
    memcpy (out + n, type, 4);
    if (len)
        memcpy (out + n + 4, body, len);
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < 4 + (size_t) len; i++)
        crc = table[(crc ^ out[n + i]) & 0xFF] ^ (crc >> 8);
    n += 4 + len;
    return n + s_be32 (out + n, crc ^ 0xFFFFFFFFu);
}

static size_t
s_png (unsigned char *out, uint32_t w, uint32_t h)
{
    size_t n = 0;
    memcpy (out, "\x89PNG\r\n\x1a\n", 8);
    n = 8;
    unsigned char ihdr[13] = { 0 };
    s_be32 (ihdr, w);
    s_be32 (ihdr + 4, h);
    ihdr[8] = 8;
    ihdr[9] = 2;
    n += s_chunk (out + n, "IHDR", ihdr, 13);
    static const unsigned char idat[] = { 0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01 };
    n += s_chunk (out + n, "IDAT", idat, sizeof idat);
    n += s_chunk (out + n, "IEND", NULL, 0);
    return n;
}

static const unsigned char s_jpeg[] = {
    0xFF, 0xD8,                                                   /* SOI */
    0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    0xFF, 0xC0, 0x00, 0x0B, 8, 0x00, 0x10, 0x00, 0x20, 1, 1, 0x11, 0,   /* SOF0 32x16 */
    0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0,                  /* SOS */
    0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56,                     /* scan: stuffing, RST0 */
    0xFF, 0xD9,                                                   /* EOI */
};

static xc_filetype_result_t
s_check (const void *d, size_t n, const char **type)
{
    return xc_filetype_check (d, n, 1000000, 1024 * 1024, type);
}

static void
test_real_structures_pass (void)
{
    const char *type;
    unsigned char png[256];
    size_t n = s_png (png, 40, 30);
    CHECK_INT (s_check (png, n, &type), XC_FT_OK);
    CHECK_STR (type, "image/png");
    CHECK_INT (s_check (s_jpeg, sizeof s_jpeg, &type), XC_FT_OK);
    CHECK_STR (type, "image/jpeg");
    const char *pdf = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\r\n";
    CHECK_INT (s_check (pdf, strlen (pdf), &type), XC_FT_OK);
    CHECK_STR (type, "application/pdf");
}

static void
test_polyglots_and_broken_files_are_refused (void)
{
    const char *type;
    unsigned char buf[512];
    /* a zip after the JPEG's EOI; a PNG with bytes after IEND; a PDF with bytes after %%EOF */
    memcpy (buf, s_jpeg, sizeof s_jpeg);
    memcpy (buf + sizeof s_jpeg, "PK\x03\x04", 4);
    CHECK_INT (s_check (buf, sizeof s_jpeg + 4, &type), XC_FT_TRAILING);
    size_t n = s_png (buf, 4, 4);
    memcpy (buf + n, "PK\x03\x04", 4);
    CHECK_INT (s_check (buf, n + 4, &type), XC_FT_TRAILING);
    const char *pdf = "%PDF-1.4\n%%EOF\n<html><script>x</script></html>";
    CHECK_INT (s_check (pdf, strlen (pdf), &type), XC_FT_TRAILING);
    /* cut short */
    CHECK_INT (s_check (s_jpeg, sizeof s_jpeg - 2, &type), XC_FT_TRUNCATED);
    n = s_png (buf, 4, 4);
    CHECK_INT (s_check (buf, n - 12, &type), XC_FT_TRUNCATED);
    /* a CRC changed */
    n = s_png (buf, 4, 4);
    buf[8 + 8 + 13] ^= 1;
    CHECK_INT (s_check (buf, n, &type), XC_FT_BAD_CRC);
}

static void
test_pixel_bombs_are_refused (void)
{
    const char *type;
    unsigned char buf[256];
    size_t n = s_png (buf, 100000, 100000);
    CHECK_INT (s_check (buf, n, &type), XC_FT_TOO_MANY_PIXELS);
    n = s_png (buf, 0, 10);
    CHECK_INT (s_check (buf, n, &type), XC_FT_TOO_MANY_PIXELS);
    n = s_png (buf, 1000, 1000);                      /* exactly the limit passes */
    CHECK_INT (s_check (buf, n, &type), XC_FT_OK);
    CHECK_INT (xc_filetype_check (buf, n, 999999, 1024 * 1024, &type), XC_FT_TOO_MANY_PIXELS);
    unsigned char jpeg[sizeof s_jpeg];
    memcpy (jpeg, s_jpeg, sizeof jpeg);
    jpeg[25] = jpeg[26] = jpeg[27] = jpeg[28] = 0xFF;   /* 65535 x 65535 */
    CHECK_INT (s_check (jpeg, sizeof jpeg, &type), XC_FT_TOO_MANY_PIXELS);
}

static void
test_active_pdfs_are_refused (void)
{
    const char *type;
    static const char *const bad[] = {
        "%PDF-1.7\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n%%EOF",
        "%PDF-1.7\n<< /AA << /O << /S /JS >> >> >>\n%%EOF",
        "%PDF-1.7\n<< /S /Launch /F (cmd.exe) >>\n%%EOF",
        "%PDF-1.7\n<< /Names << /EmbeddedFiles 3 0 R >> >>\n%%EOF",
        "%PDF-1.7\n<< /S /J#61va#53cript >>\n%%EOF",
        NULL,
    };
    for (int i = 0; bad[i]; i++)
        CHECK_INT (s_check (bad[i], strlen (bad[i]), &type), XC_FT_ACTIVE_CONTENT);
    /* a name that only starts like one is no active content */
    const char *ok = "%PDF-1.7\n<< /JSON 1 /Launcher 2 >>\n%%EOF";
    CHECK_INT (s_check (ok, strlen (ok), &type), XC_FT_OK);
}

/*  A PDF whose one stream holds `plain` deflated (zlib), as a compressed object stream does. */
static size_t
s_pdf_with_stream (unsigned char *out, size_t size, const unsigned char *plain, size_t n)
{
    static const char head[] = "%PDF-1.7\n5 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\r\n";
    static const char tail[] = "\r\nendstream\nendobj\n%%EOF\n";
    size_t at = strlen (head);
    memcpy (out, head, at);
    uLongf z = (uLongf) (size - at - sizeof tail);
    CHECK (compress2 (out + at, &z, plain, (uLong) n, 9) == Z_OK);
    at += z;
    memcpy (out + at, tail, strlen (tail));
    return at + strlen (tail);
}

static void
test_names_hidden_in_compressed_streams_are_seen (void)
{
    const char *type;
    static unsigned char plain[200000], pdf[240000];
    /* /JavaScript deflated inside an object stream: not in the file's bytes, seen once inflated */
    const char *hidden = "1 0 << /S /JavaScript /JS (app.alert(1)) >>";
    size_t n = s_pdf_with_stream (pdf, sizeof pdf, (const unsigned char *) hidden, strlen (hidden));
    for (size_t i = 0; i + 10 <= n; i++)
        CHECK (memcmp (pdf + i, "JavaScript", 10) != 0);
    CHECK_INT (s_check (pdf, n, &type), XC_FT_ACTIVE_CONTENT);
    /* a name across the 64 KiB windows the inflating goes by is still seen, and /JSON is not /JS */
    memset (plain, ' ', sizeof plain);
    memcpy (plain + 65536 - 3, "/Launch", 7);
    n = s_pdf_with_stream (pdf, sizeof pdf, plain, sizeof plain);
    CHECK_INT (s_check (pdf, n, &type), XC_FT_ACTIVE_CONTENT);
    memset (plain, ' ', sizeof plain);
    memcpy (plain + 65536 - 3, "/JSON 1 /Launcher 2", 19);
    n = s_pdf_with_stream (pdf, sizeof pdf, plain, sizeof plain);
    CHECK_INT (s_check (pdf, n, &type), XC_FT_OK);
    CHECK_STR (type, "application/pdf");
    /* a stream inflating beyond the limit: a decompression bomb (200000 spaces, limit 100000) */
    CHECK_INT (xc_filetype_check (pdf, n, 1000000, 100000, &type), XC_FT_BOMB);
    /* a stream that is not zlib (another filter) is left as it is */
    const char *raw = "%PDF-1.7\n<< /Filter /DCTDecode >>\nstream\n\xff\xd8\xff\xe0 bytes\nendstream\n%%EOF";
    CHECK_INT (s_check (raw, strlen (raw), &type), XC_FT_OK);
}

static void
test_other_types_are_not_allowed (void)
{
    const char *type = "x";
    static const char *const others[] = {
        "PK\x03\x04\x14\x00\x00\x00", "<html><body>hi</body></html>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "MZ\x90\x00\x03\x00", "\x7f" "ELF\x02\x01\x01",
        "GIF89a\x01\x00\x01\x00", "", NULL,
    };
    for (int i = 0; others[i]; i++) {
        CHECK_INT (s_check (others[i], strlen (others[i]), &type), XC_FT_NOT_ALLOWED);
        CHECK (type == NULL);
    }
}

int
main (void)
{
    RUN (test_real_structures_pass);
    RUN (test_polyglots_and_broken_files_are_refused);
    RUN (test_pixel_bombs_are_refused);
    RUN (test_active_pdfs_are_refused);
    RUN (test_names_hidden_in_compressed_streams_are_seen);
    RUN (test_other_types_are_not_allowed);
    HARNESS_END ();
}
