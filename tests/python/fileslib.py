"""Evidence files for the tests (docs/files.md): small real JPEG, PNG and PDF bytes made here,
hostile ones, and an uploader that speaks file.begin / file.append / file.status."""

import base64
import hashlib
import io
import struct
import zipfile
import zlib


def sha(data):
    return hashlib.sha256(data).hexdigest()


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def make_png(width=16, height=16, seed=0, claim=None):
    """A real RGB PNG of width x height (its IHDR may claim other dimensions: claim=(w, h))."""
    raw = b"".join(b"\x00" + b"".join(bytes(((x * 13 + seed) % 256, (y * 7) % 256, 90)) for x in range(width))
                   for y in range(height))
    w, h = claim or (width, height)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b""))


def make_jpeg(width=16, height=16, payload=b"\x12\x34\x56\x78" * 40):
    """A baseline JPEG's structure (SOI, APP0, DQT, SOF0, DHT, SOS, scan data, EOI)."""
    def seg(marker, body):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\x00" + bytes(range(1, 65))
    sof = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    dht = b"\x00" + bytes([0, 1] + [0] * 14) + b"\x00"
    sos = b"\x01\x01\x00\x00\x3f\x00"
    scan = payload.replace(b"\xff", b"\xff\x00")
    return (b"\xff\xd8" + seg(0xE0, app0) + seg(0xDB, dqt) + seg(0xC0, sof) + seg(0xC4, dht)
            + seg(0xDA, sos) + scan + b"\xff\xd9")


def make_pdf(text="evidence", extra=""):
    """A one-page PDF with text (and extra dictionary entries in its catalogue)."""
    objs = [f"<< /Type /Catalog /Pages 2 0 R {extra}>>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>"]
    stream = f"BT /F1 12 Tf 10 50 Td ({text}) Tj ET"
    objs.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def make_zip_bomb():
    """A zip whose one member inflates 100 KiB of zeros to 50 MiB... kept small: 20 MiB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.bin", b"\x00" * (20 * 1024 * 1024))
    return buf.getvalue()


class Uploader:
    """Uploads a file to one service as signer through a xcwire.Client."""

    def __init__(self, client, signer):
        self.client, self.signer = client, signer

    def begin(self, data, name="证据.bin", size=None, digest=None):
        return self.client.call(self.signer, "file.begin",
                                {"name": name, "size": len(data) if size is None else size,
                                 "sha256": digest or sha(data)})

    def append(self, upload, offset, piece):
        return self.client.call(self.signer, "file.append",
                                {"upload": upload, "offset": offset,
                                 "data": base64.b64encode(piece).decode()})

    def put(self, data, name="证据.bin", chunk=None, stop_after=None):
        """Begin (or resume) and append to the end: the last reply (or the one that failed).
        stop_after: stop after that many appends (a break)."""
        r = self.begin(data, name)
        if r["type"] != "ack":
            return r
        res = r["data"]["result"]
        upload, offset = res["upload"], res["offset"]
        chunk = chunk or res["chunk_bytes"]
        n = 0
        while offset < len(data):
            r = self.append(upload, offset, data[offset:offset + chunk])
            if r["type"] != "ack":
                return r
            offset = r["data"]["result"]["offset"]
            n += 1
            if stop_after is not None and n >= stop_after and offset < len(data):
                return r
        return r

    def read(self, digest):
        """The whole file by file.read pieces: (meta, bytes) or (error reply, None)."""
        out, offset, meta = b"", 0, None
        while True:
            r = self.client.call(self.signer, "file.read", {"sha256": digest, "offset": offset})
            if r["type"] != "result":
                return r, None
            meta = r["data"]
            out += base64.b64decode(meta["data"])
            if meta["next"] is None:
                return meta, out
            offset = meta["next"]


def make_pdf_objstm(plain):
    """A PDF whose one compressed object stream (FlateDecode) holds plain: what hides a
    dictionary from a scan of the file's bytes."""
    z = zlib.compress(plain, 9)
    return (b"%PDF-1.7\n1 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
            + str(len(z)).encode() + b" >>\nstream\r\n" + z + b"\r\nendstream\nendobj\n"
            + b"trailer << /Root 2 0 R >>\n%%EOF\n")
