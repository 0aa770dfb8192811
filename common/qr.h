/*  qr.h: a text as a QR code (libqrencode), as SVG text or a PNG image, with the standard
    quiet zone of 4 modules, error correction level M. For the public page's address on the
    poster (the gateway's GET /v1/public/qr, xcctl qr). Linked by what uses it only (the
    Makefile's QR_PKG), not by every service. */
#ifndef XC_QR_H
#define XC_QR_H

#include <stddef.h>

/*  The SVG document (caller frees, NUL-terminated, *len_p its length), or NULL (text empty,
    too long for a QR code, out of memory). One dark module is one unit of the viewBox. */
char *xc_qr_svg (const char *text, size_t *len_p);

/*  The PNG (8-bit grey, scale pixels per module; caller frees, *len_p its length), or NULL. */
char *xc_qr_png (const char *text, int scale, size_t *len_p);

/*  The modules: width*width bytes, 1 dark, 0 light, without the quiet zone (caller frees),
    or NULL. For tests that compare the matrix. */
unsigned char *xc_qr_matrix (const char *text, int *width_p);

#endif
