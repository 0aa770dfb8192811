"""Evidence files for the tests, made here with nothing but the standard library: a real PNG
(chunks with their CRCs, IEND last), a real PDF (%PDF- to %%EOF, an xref table), and the
hostile kind (HTML named .png). Each helper returns the bytes; file_at writes them and gives the
path and the SHA-256."""
import hashlib
import os
import struct
import zlib


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, seed=b"", noise=False):
    """An RGB PNG of width x height: its pixels from seed (a colour per row), or random bytes
    with noise (incompressible: a file of about 3 * width * height bytes)."""
    rows = []
    for y in range(height):
        if noise:
            row = os.urandom(3 * width)
        else:
            c = hashlib.sha256(seed + struct.pack(">I", y)).digest()[:3]
            row = c * width
        rows.append(b"\x00" + row)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(b"".join(rows), 1 if noise else 9)) + _chunk(b"IEND", b""))


def png_size(data):
    """(width, height) from a PNG's IHDR."""
    return struct.unpack(">II", data[16:24])


def pdf(text="evidence"):
    """A one-page PDF whose content stream draws text (ASCII)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objs = [b"<</Type/Catalog/Pages 2 0 R>>",
            b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R"
            b"/Resources<</Font<</F1 5 0 R>>>>>>",
            b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
            b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def html_as_png():
    """An HTML page that says it is an image by its name only."""
    return b"<!doctype html><html><body><script>alert(1)</script></body></html>\n"


def file_at(folder, name, data):
    """Writes data to folder/name: (path, sha256 hex)."""
    path = os.path.join(str(folder), name)
    with open(path, "wb") as f:
        f.write(data)
    return path, hashlib.sha256(data).hexdigest()
