/*  qr.c: QR codes as SVG and PNG (see qr.h). */
#include "common/qr.h"

#include <png.h>
#include <qrencode.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUIET 4

unsigned char *
xc_qr_matrix (const char *text, int *width_p)
{
    if (!text || !*text)
        return NULL;
    QRcode *qr = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return NULL;
    int w = qr->width;
    unsigned char *m = malloc ((size_t) w * (size_t) w);
    if (m)
        for (int i = 0; i < w * w; i++)
            m[i] = qr->data[i] & 1;
    QRcode_free (qr);
    *width_p = w;
    return m;
}

char *
xc_qr_svg (const char *text, size_t *len_p)
{
    int w;
    unsigned char *m = xc_qr_matrix (text, &w);
    if (!m)
        return NULL;
    int size = w + 2 * QUIET;
    /* at most one run per two modules, each "M123,123h123v1h-123z" */
    size_t cap = 512 + (size_t) w * (size_t) w * 12;
    char *out = malloc (cap);
    if (!out) {
        free (m);
        return NULL;
    }
    size_t n = (size_t) snprintf (out, cap,
                                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                                  "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                                  "fill=\"#fff\"/><path fill=\"#000\" d=\"", size, size, size, size);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w;) {
            if (!m[y * w + x]) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < w && m[y * w + x + run])
                run++;
            n += (size_t) snprintf (out + n, cap - n, "M%d,%dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
            x += run;
        }
    n += (size_t) snprintf (out + n, cap - n, "\"/></svg>\n");
    free (m);
    *len_p = n;
    return out;
}

typedef struct {
    char *bytes;
    size_t len, cap;
    int failed;
} s_buf_t;

static void
s_png_write (png_structp png, png_bytep data, png_size_t n)
{
    s_buf_t *b = png_get_io_ptr (png);
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *p = realloc (b->bytes, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->bytes = p;
        b->cap = cap;
    }
    memcpy (b->bytes + b->len, data, n);
    b->len += n;
}

static void
s_png_flush (png_structp png)
{
    (void) png;
}

char *
xc_qr_png (const char *text, int scale, size_t *len_p)
{
    if (scale < 1 || scale > 64)
        return NULL;
    int w;
    unsigned char *m = xc_qr_matrix (text, &w);
    if (!m)
        return NULL;
    int size = (w + 2 * QUIET) * scale;
    unsigned char *row = malloc ((size_t) size);
    s_buf_t buf = { 0 };
    png_structp png = row ? png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
    png_infop info = png ? png_create_info_struct (png) : NULL;
    if (!info || setjmp (png_jmpbuf (png))) {
        png_destroy_write_struct (&png, info ? &info : NULL);
        free (row);
        free (m);
        free (buf.bytes);
        return NULL;
    }
    png_set_write_fn (png, &buf, s_png_write, s_png_flush);
    png_set_IHDR (png, info, (png_uint_32) size, (png_uint_32) size, 8, PNG_COLOR_TYPE_GRAY,
                  PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info (png, info);
    for (int y = 0; y < size; y++) {
        int my = y / scale - QUIET;
        for (int x = 0; x < size; x++) {
            int mx = x / scale - QUIET;
            bool dark = my >= 0 && my < w && mx >= 0 && mx < w && m[my * w + mx];
            row[x] = dark ? 0 : 255;
        }
        png_write_row (png, row);
    }
    png_write_end (png, NULL);
    png_destroy_write_struct (&png, &info);
    free (row);
    free (m);
    if (buf.failed) {
        free (buf.bytes);
        return NULL;
    }
    *len_p = buf.len;
    return buf.bytes;
}
