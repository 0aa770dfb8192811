/*  filetype.h: a file's type by its content, not its name (docs/files.md, "Types").

    Parses the structure, not just the magic bytes: JPEG segments up to the one EOI that must
    end the file, PNG chunks with their CRCs from the signature to the IEND that must end the
    file, and a PDF from "%PDF-" at byte 0 to a final "%%EOF" with no active content named
    (/JavaScript, /JS, /Launch, /EmbeddedFile, also written with #xx escapes), neither in its
    bytes nor inside any of its zlib (FlateDecode) streams, where compressed object streams hide
    dictionaries: those are inflated, inflate_max bytes in all at most (beyond it, XC_FT_BOMB). An image's width times height must be within max_pixels (decompression bombs).
    Anything else (zip, html, svg, executables) is XC_FT_NOT_ALLOWED. No I/O; the only memory
    is zlib's own state while a stream is inflated, and a 64 KiB window on the stack.
*/
#ifndef XC_FILETYPE_H
#define XC_FILETYPE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    XC_FT_OK = 0,
    XC_FT_NOT_ALLOWED,     /* no type this module knows (or not in the allowed list) */
    XC_FT_TRUNCATED,       /* a known type cut short or with a broken structure */
    XC_FT_TRAILING,        /* bytes after the end (JPEG EOI, PNG IEND, PDF %%EOF): a polyglot */
    XC_FT_BAD_CRC,         /* a PNG chunk whose CRC does not match */
    XC_FT_TOO_MANY_PIXELS, /* width x height above max_pixels, or zero */
    XC_FT_ACTIVE_CONTENT,  /* a PDF naming JavaScript, Launch or an embedded file */
    XC_FT_BOMB,            /* a PDF whose zlib streams inflate beyond inflate_max in all */
} xc_filetype_result_t;

/*  The MIME types this module recognises: "image/jpeg", "image/png", "application/pdf". */
extern const char *const xc_filetype_known[];

/*  Checks data (len bytes). On XC_FT_OK *type is one of xc_filetype_known (static); otherwise
    *type is the type it looked like, or NULL. */
xc_filetype_result_t xc_filetype_check (const unsigned char *data, size_t len, int64_t max_pixels,
                                        size_t inflate_max, const char **type);

#endif
