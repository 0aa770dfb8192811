/*  filetype.c: a file's type by its content (filetype.h). */
#include "common/filetype.h"

#include <stdbool.h>
#include <string.h>
#include <zlib.h>

const char *const xc_filetype_known[] = { "image/jpeg", "image/png", "application/pdf", NULL };

static uint32_t
s_be32 (const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static xc_filetype_result_t
s_pixels (uint64_t w, uint64_t h, int64_t max_pixels)
{
    if (w == 0 || h == 0 || max_pixels <= 0 || w * h > (uint64_t) max_pixels)
        return XC_FT_TOO_MANY_PIXELS;
    return XC_FT_OK;
}

/* ------------------------------------------------------------------ JPEG */

static bool
s_is_sof (unsigned char m)
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/*  Segments after SOI; after each SOS the entropy-coded data up to the next marker (FF 00
    stuffing and RSTn belong to the data). The file must end right after EOI. */
static xc_filetype_result_t
s_jpeg (const unsigned char *d, size_t n, int64_t max_pixels)
{
    size_t i = 2;
    bool sof = false, sos = false;
    uint64_t w = 0, h = 0;
    while (i < n) {
        if (d[i] != 0xFF)
            return XC_FT_TRUNCATED;
        while (i < n && d[i] == 0xFF)   /* fill bytes */
            i++;
        if (i >= n)
            return XC_FT_TRUNCATED;
        unsigned char m = d[i++];
        if (m == 0xD9) {
            if (!sof || !sos)
                return XC_FT_TRUNCATED;
            if (i != n)
                return XC_FT_TRAILING;
            return s_pixels (w, h, max_pixels);
        }
        if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8))
            return XC_FT_TRUNCATED;    /* no standalone marker belongs here */
        if (i + 2 > n)
            return XC_FT_TRUNCATED;
        size_t len = (size_t) d[i] << 8 | d[i + 1];
        if (len < 2 || i + len > n)
            return XC_FT_TRUNCATED;
        if (s_is_sof (m)) {
            if (len < 8)
                return XC_FT_TRUNCATED;
            h = (uint64_t) d[i + 3] << 8 | d[i + 4];
            w = (uint64_t) d[i + 5] << 8 | d[i + 6];
            if (s_pixels (w, h, max_pixels) != XC_FT_OK)
                return XC_FT_TOO_MANY_PIXELS;
            sof = true;
        }
        i += len;
        if (m == 0xDA) {
            if (!sof)
                return XC_FT_TRUNCATED;
            sos = true;
            /* entropy-coded data: stop before a marker that is not stuffing nor RSTn */
            while (i < n) {
                if (d[i] == 0xFF && i + 1 < n && d[i + 1] != 0x00 && !(d[i + 1] >= 0xD0 && d[i + 1] <= 0xD7)
                    && d[i + 1] != 0xFF)
                    break;
                i++;
            }
        }
    }
    return XC_FT_TRUNCATED;
}

/* ------------------------------------------------------------------ PNG */

static uint32_t
s_crc32 (const unsigned char *p, size_t n)
{
    static uint32_t table[256];
    static bool ready;
    if (!ready) {   /* the same table every time: a race only writes the same values */
        for (uint32_t c = 0; c < 256; c++) {
            uint32_t v = c;
            for (int k = 0; k < 8; k++)
                v = v & 1 ? 0xEDB88320u ^ (v >> 1) : v >> 1;
            table[c] = v;
        }
        ready = true;
    }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static xc_filetype_result_t
s_png (const unsigned char *d, size_t n, int64_t max_pixels)
{
    size_t i = 8;
    bool ihdr = false, idat = false;
    while (i + 12 <= n) {
        uint32_t len = s_be32 (d + i);
        if (len > 0x7FFFFFFFu || (size_t) len > n - i - 12)
            return XC_FT_TRUNCATED;
        const unsigned char *type = d + i + 4;
        for (int k = 0; k < 4; k++)
            if (!((type[k] >= 'A' && type[k] <= 'Z') || (type[k] >= 'a' && type[k] <= 'z')))
                return XC_FT_TRUNCATED;
        if (s_crc32 (type, 4 + (size_t) len) != s_be32 (d + i + 8 + len))
            return XC_FT_BAD_CRC;
        if (!ihdr) {
            if (memcmp (type, "IHDR", 4) != 0 || len != 13)
                return XC_FT_TRUNCATED;
            xc_filetype_result_t r = s_pixels (s_be32 (d + i + 8), s_be32 (d + i + 12), max_pixels);
            if (r != XC_FT_OK)
                return r;
            ihdr = true;
        } else if (memcmp (type, "IDAT", 4) == 0)
            idat = true;
        else if (memcmp (type, "IEND", 4) == 0) {
            if (!idat)
                return XC_FT_TRUNCATED;
            return i + 12 + len == n ? XC_FT_OK : XC_FT_TRAILING;
        }
        i += 12 + (size_t) len;
    }
    return XC_FT_TRUNCATED;
}

/* ------------------------------------------------------------------ PDF */

static bool
s_pdf_delim (unsigned char c)
{
    return c <= ' ' || strchr ("()<>[]{}/%", c) != NULL;
}

static int
s_hexval (unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*  Every name token (/Name, with #xx escapes decoded) starting before limit compared with the
    active ones (a name may run on past limit, up to n). */
static bool
s_pdf_active (const unsigned char *d, size_t n, size_t limit)
{
    static const char *const active[] = { "JavaScript", "JS", "Launch", "EmbeddedFile",
                                          "EmbeddedFiles", "RichMedia", NULL };
    for (size_t i = 0; i < limit && i < n; i++) {
        if (d[i] != '/')
            continue;
        char name[32];
        size_t k = 0;
        size_t j = i + 1;
        while (j < n && !s_pdf_delim (d[j])) {
            unsigned char c = d[j];
            if (c == '#' && j + 2 < n && s_hexval (d[j + 1]) >= 0 && s_hexval (d[j + 2]) >= 0) {
                c = (unsigned char) (s_hexval (d[j + 1]) << 4 | s_hexval (d[j + 2]));
                j += 2;
            }
            if (k < sizeof name - 1)
                name[k++] = (char) c;
            else
                k = sizeof name;   /* too long to be one of them */
            j++;
        }
        if (k < sizeof name) {
            name[k] = '\0';
            for (int a = 0; active[a]; a++)
                if (strcmp (name, active[a]) == 0)
                    return true;
        }
        i = j - 1;
    }
    return false;
}

/*  Where needle first stands in d[from, n), or n. */
static size_t
s_find (const unsigned char *d, size_t n, size_t from, const char *needle)
{
    size_t k = strlen (needle);
    for (size_t i = from; i + k <= n; i++)
        if (d[i] == (unsigned char) needle[0] && memcmp (d + i, needle, k) == 0)
            return i;
    return n;
}

#define PDF_CARRY 64                 /* longer than any active name: kept between windows */
#define PDF_WINDOW (64 * 1024)

/*  One stream's bytes inflated as zlib, a window at a time, each window's names scanned (a name
    cut by a window's end is scanned in the next, PDF_CARRY bytes being carried over). *budget
    is what may still be inflated in the whole file. Not zlib (another filter, raw data): 0,
    nothing to see. Returns 1 active, 0 not, -1 the budget ran out. */
static int
s_pdf_stream_active (const unsigned char *d, size_t n, size_t *budget)
{
    if (n < 2 || (d[0] & 0x0F) != 8 || ((unsigned) d[0] << 8 | d[1]) % 31 != 0)
        return 0;                    /* no zlib header */
    unsigned char out[PDF_CARRY + PDF_WINDOW];
    size_t carried = 0;
    z_stream z;
    memset (&z, 0, sizeof z);
    if (inflateInit (&z) != Z_OK)
        return 0;
    z.next_in = (unsigned char *) d;
    z.avail_in = (uInt) (n > UINT32_MAX ? UINT32_MAX : n);
    int result = 0, zr = Z_OK;
    while (result == 0 && zr == Z_OK) {
        z.next_out = out + carried;
        z.avail_out = PDF_WINDOW;
        zr = inflate (&z, Z_NO_FLUSH);
        size_t got = PDF_WINDOW - z.avail_out, have = carried + got;
        if (got > *budget) {
            result = -1;
            break;
        }
        *budget -= got;
        bool last = zr != Z_OK || got == 0;
        if (s_pdf_active (out, have, last ? have : (have > PDF_CARRY ? have - PDF_CARRY : 0)))
            result = 1;
        else if (!last) {
            carried = have > PDF_CARRY ? PDF_CARRY : have;
            memmove (out, out + have - carried, carried);
        }
        if (got == 0)
            break;
    }
    inflateEnd (&z);
    return result;
}

/*  The names inside the file's zlib streams (compressed object streams hide dictionaries there):
    every "stream" ... "endstream" that inflates as zlib is scanned like the file. 1 active, 0
    not, -1 inflating them all would pass inflate_max bytes (a decompression bomb). */
static int
s_pdf_streams_active (const unsigned char *d, size_t n, size_t inflate_max)
{
    size_t budget = inflate_max;
    size_t i = 0;
    while ((i = s_find (d, n, i, "stream")) < n) {
        size_t start = i + 6;
        if (i >= 3 && memcmp (d + i - 3, "end", 3) == 0) {
            i = start;
            continue;
        }
        if (start < n && d[start] == '\r')
            start++;
        if (start >= n || d[start] != '\n') {
            i = start;
            continue;
        }
        start++;
        size_t end = s_find (d, n, start, "endstream");
        int r = s_pdf_stream_active (d + start, end - start, &budget);
        if (r != 0)
            return r;
        i = end;
    }
    return 0;
}

static xc_filetype_result_t
s_pdf (const unsigned char *d, size_t n, size_t inflate_max)
{
    size_t end = n;
    while (end > 0 && (d[end - 1] == '\n' || d[end - 1] == '\r' || d[end - 1] == ' '))
        end--;
    if (end < 5 + 5 || memcmp (d + end - 5, "%%EOF", 5) != 0) {
        /* a %%EOF somewhere before other bytes: something was appended */
        for (size_t i = 5; i + 5 <= n; i++)
            if (memcmp (d + i, "%%EOF", 5) == 0)
                return XC_FT_TRAILING;
        return XC_FT_TRUNCATED;
    }
    if (s_pdf_active (d, n, n))
        return XC_FT_ACTIVE_CONTENT;
    int hidden = s_pdf_streams_active (d, n, inflate_max);
    return hidden > 0 ? XC_FT_ACTIVE_CONTENT : hidden < 0 ? XC_FT_BOMB : XC_FT_OK;
}

xc_filetype_result_t
xc_filetype_check (const unsigned char *d, size_t n, int64_t max_pixels, size_t inflate_max,
                   const char **type)
{
    *type = NULL;
    if (n >= 4 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
        *type = "image/jpeg";
        return s_jpeg (d, n, max_pixels);
    }
    if (n >= 8 && memcmp (d, "\x89PNG\r\n\x1a\n", 8) == 0) {
        *type = "image/png";
        return s_png (d, n, max_pixels);
    }
    if (n >= 5 && memcmp (d, "%PDF-", 5) == 0) {
        *type = "application/pdf";
        return s_pdf (d, n, inflate_max);
    }
    return XC_FT_NOT_ALLOWED;
}
