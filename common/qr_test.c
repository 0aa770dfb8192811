/*  qr_test.c: QR codes as SVG and PNG (qr.h); that they decode to the text is
    tests/python/test_public_gateway.py's (zbarimg). */
#include "common/qr.h"

#include "tests/harness.h"

#include <stdlib.h>
#include <string.h>

static void
test_svg_png (void)
{
    const char *url = "https://xc.example.cn/public/?round=R-1&unit=U-A";
    size_t len = 0;
    char *svg = xc_qr_svg (url, &len);
    CHECK (svg && len == strlen (svg));
    CHECK (strncmp (svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
    CHECK (strstr (svg, "<script") == NULL && strstr (svg, "</svg>") != NULL);
    free (svg);
    char *png = xc_qr_png (url, 8, &len);
    CHECK (png && len > 100 && memcmp (png, "\x89PNG\r\n\x1a\n", 8) == 0);
    free (png);
    int w = 0;
    unsigned char *m = xc_qr_matrix (url, &w);
    CHECK (m && w >= 21 && (w - 17) % 4 == 0);
    /* the finder pattern's corner: dark */
    CHECK (m[0] == 1 && m[w - 1] == 1 && m[(w - 1) * w] == 1);
    free (m);
}

static void
test_refusals (void)
{
    size_t len = 0;
    CHECK (xc_qr_svg ("", &len) == NULL);
    CHECK (xc_qr_png ("x", 0, &len) == NULL);
    char *big = malloc (4000);
    memset (big, 'a', 3999);
    big[3999] = '\0';
    CHECK (xc_qr_svg (big, &len) == NULL);             /* more than a QR code holds */
    free (big);
}

int
main (void)
{
    RUN (test_svg_png);
    RUN (test_refusals);
    HARNESS_END ();
}
