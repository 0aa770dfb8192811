"""The console's files served by a real xc-gateway (services.gateway.web, services/gateway/files.c)
and loaded in a real chromium (docs/console.md): the page renders its Chinese, says whether this
browser has Ed25519, logs no error and asks nothing of any other origin; the CSP header is there
and the browser refuses an inline script and eval under it; types, caching, methods, the limit
and every way out of the folder are tried over raw HTTP."""
import hashlib
import json
import os
import re
import shutil
import socket

import pytest
import requests

from browserlib import Browser, wait_until
from conftest import running_suite
from gatewaylib import Gateway, make_suite, parse_responses, stopped_at_end

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
WEB = os.path.join(REPO, "web")

# a page the real console never has: an inline script, an inline handler, eval, Function;
# each would write into the page if the browser ran it
PROBE_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>探针</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<script>document.title = "inline ran";</script>
<script type="module" src="/probe.js"></script></head>
<body><p id="p">探针页</p><img id="i" src="/nothing.png" onerror="document.title='handler ran'"></body></html>"""
PROBE_JS = """let e = 'no', f = 'no';
try { eval('1 + 1'); e = 'yes'; } catch (x) { e = 'refused:' + x.name; }
try { new Function('return 1')(); f = 'yes'; } catch (x) { f = 'refused:' + x.name; }
const out = document.createElement('p');
out.id = 'result'; out.dataset.eval = e; out.dataset.func = f; out.textContent = e + ' ' + f;
document.body.append(out);"""

TYPES = {"a.html": "text/html; charset=utf-8", "a.js": "text/javascript; charset=utf-8",
         "a.mjs": "text/javascript; charset=utf-8", "a.css": "text/css; charset=utf-8",
         "a.svg": "image/svg+xml", "a.png": "image/png", "a.json": "application/json",
         "a.woff2": "font/woff2"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A copy of web/ with the probe page, files of every type, and symlinks in and out."""
    root = tmp_path_factory.mktemp("console")
    web = root / "web"
    shutil.copytree(WEB, web)
    (web / "probe.html").write_text(PROBE_HTML, encoding="utf-8")
    (web / "probe.js").write_text(PROBE_JS, encoding="utf-8")
    for name in TYPES:
        (web / "types").mkdir(exist_ok=True)
        (web / "types" / name).write_bytes(b"x" * 10)
    (web / "notes.exe").write_bytes(b"MZ")
    (web / ".secret.json").write_text("{}", encoding="utf-8")
    (root / "outside.json").write_text('{"secret": "outside"}', encoding="utf-8")
    os.symlink(root / "outside.json", web / "out.json")
    os.symlink(root, web / "up")
    os.symlink(web / "app.css", web / "alias.css")
    return web


@pytest.fixture(scope="module")
def gw(tmp_path_factory, site):
    s = make_suite(str(tmp_path_factory.mktemp("gateway")))
    for _ in running_suite(s):
        g = Gateway(s, extra={"web": str(site)})
        with stopped_at_end(g):
            yield g


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The gateway on the repository's own web/, as config/local.json has it (relative)."""
    s = make_suite(str(tmp_path_factory.mktemp("real")))
    for _ in running_suite(s):
        g = Gateway(s, extra={"web": os.path.relpath(WEB, os.path.dirname(s.config_path))})
        with stopped_at_end(g):
            yield g


def raw_get(g, target, method="GET", headers=""):
    """One request with target exactly as written (no client normalises it): its response."""
    host, port = g.ready["http"].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as c:
        c.sendall(f"{method} {target} HTTP/1.1\r\nHost: {g.ready['http']}\r\n{headers}"
                  f"Connection: close\r\n\r\n".encode("latin-1"))
        buf = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            buf += chunk
    return buf


def status_of(buf):
    return int(buf.split(b" ", 2)[1])


# --- in chromium -------------------------------------------------------------------------------

def test_console_loads_in_chromium_with_chinese_and_ed25519(real, tmp_path):
    with Browser(tmp_path) as b:
        b.open(real.base + "/")
        # index.html's title, or the page's once the app has drawn it (登录 - 巡察工作平台): which
        # one the browser has at this moment depends on the machine's speed
        title = b.driver.title
        assert title == "巡察工作平台" or re.fullmatch(r"[\u4e00-\u9fff]+ - 巡察工作平台", title), title
        line = b.wait_for("#ed25519[data-ed25519=yes], #ed25519[data-ed25519=no]")
        # what the page says is what this browser does: WebCrypto Ed25519 tried here directly
        has = b.run("""const done = arguments[arguments.length - 1];
            crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify'])
              .then(() => done(true), () => done(false));""")
        assert line.get_attribute("data-ed25519") == ("yes" if has else "no")
        assert has, "Debian's chromium 156 has Ed25519 in WebCrypto"
        assert "本浏览器支持 Ed25519 签名" in line.text
        b.wait_for("#deployment")
        wait_until(lambda: "部署：" in b.text("#deployment"), what="the deployment line")
        assert "可用服务 2 个" in b.text("#deployment")
        assert "巡察工作平台" in b.text("h1")
        assert "正在加载" not in b.text("#app"), "the loading line is replaced by the page"
        # the Chinese is drawn with glyphs, not boxes: in the page's font, 巡 and 察 are drawn
        # differently from each other and from a code point no font has (its "tofu" box)
        drawn = b.driver.execute_script("""
            const font = getComputedStyle(document.body).fontFamily;
            const draw = (ch) => { const c = document.createElement('canvas'); c.width = c.height = 40;
              const x = c.getContext('2d'); x.font = '32px ' + font; x.fillText(ch, 2, 34);
              return Array.from(x.getImageData(0, 0, 40, 40).data).join(','); };
            return [draw('巡'), draw('察'), draw('\\u{10FFFD}')];""")
        assert len(set(drawn)) == 3, "CJK characters drawn as boxes (fonts-noto-cjk missing?)"
        b.screenshot("console-desktop")
        assert b.console_errors() == []
        urls = b.requests()
        assert real.base + "/app.js" in urls and real.base + "/vendor/preact/preact.mjs" in urls
        assert any(u.endswith("/v1/directory") for u in urls)
        assert b.requests_outside(real.base) == []
    assert os.path.getsize(tmp_path / "console-desktop.png") > 1000


def test_console_on_a_phone(real, tmp_path):
    with Browser(tmp_path, phone=True) as b:
        b.open(real.base + "/")
        b.wait_for("#ed25519[data-ed25519=yes]")
        width = b.driver.execute_script("return document.documentElement.clientWidth")
        assert width <= 390
        scroll = b.driver.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width, "nothing wider than the phone"
        b.screenshot("console-phone")
        assert b.console_errors() == []
        assert b.requests_outside(real.base) == []


def test_browser_refuses_inline_script_and_eval_under_the_csp(gw, tmp_path):
    with Browser(tmp_path) as b:
        b.open(gw.base + "/probe.html")
        result = b.wait_for("#result")
        assert result.get_attribute("data-eval").startswith("refused:EvalError")
        assert result.get_attribute("data-func").startswith("refused:EvalError")
        assert b.driver.title == "探针", "the inline script and the inline handler did not run"
        errors = " ".join(e["message"] for e in b.console_errors())
        assert "Content Security Policy" in errors and "inline" in errors, errors


# --- over HTTP -----------------------------------------------------------------------------------

def test_headers_types_and_caching(gw, site):
    r = gw.http.get(gw.base + "/", timeout=5)
    assert r.status_code == 200
    with open(site / "index.html", "rb") as f:
        assert r.content == f.read()
    csp = r.headers["Content-Security-Policy"]
    for part in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                 "frame-ancestors 'none'", "connect-src 'self'"):
        assert part in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    etag = r.headers["ETag"]
    again = gw.http.get(gw.base + "/", headers={"If-None-Match": etag}, timeout=5)
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    other = gw.http.get(gw.base + "/", headers={"If-None-Match": '"0000"'}, timeout=5)
    assert other.status_code == 200 and other.content == r.content
    assert gw.http.get(gw.base + "/index.html", timeout=5).headers["ETag"] == etag
    assert gw.http.get(gw.base + "/app.css", timeout=5).headers["ETag"] != etag
    for name, ctype in TYPES.items():
        t = gw.http.get(f"{gw.base}/types/{name}", timeout=5)
        assert (t.status_code, t.headers["Content-Type"]) == (200, ctype), name
    head = gw.http.head(gw.base + "/app.js", timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert int(head.headers["Content-Length"]) == os.path.getsize(site / "app.js")


def test_only_get_and_head(gw):
    r = gw.http.post(gw.base + "/index.html", data=b"x", timeout=5)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD", r.text
    assert r.json()["type"] == "urn:xuncha:gateway:method-not-allowed"


def test_routes_keep_priority(gw):
    assert gw.http.get(gw.base + "/healthz", timeout=5).json()["status"] == "ok"
    assert "keys" in gw.http.get(gw.base + "/v1/keys", timeout=5).json()
    r = gw.http.get(gw.base + "/v1/nothing", timeout=5)
    assert r.status_code == 404 and r.json()["type"] == "urn:xuncha:gateway:unknown-service"


@pytest.mark.parametrize("target", [
    "/../outside.json", "/%2e%2e/outside.json", "/%2E%2E/outside.json", "/%2e%2e%2foutside.json",
    "/types/../../outside.json", "/types/%2e%2e/%2e%2e/outside.json", "/./index.html",
    "/out.json", "/up/outside.json", "/up/web/index.html", "/.secret.json", "/%2esecret.json",
    "/index.html%00.png", "/index.html%00", "/types%5c..%5c..%5coutside.json", "//index.html",
    "/vendor/", "/vendor", "/types", "/notes.exe", "/nothing.html", "/MANIFEST.json"])
def test_nothing_outside_the_folder_and_no_listing(gw, target):
    buf = raw_get(gw, target)
    assert status_of(buf) in (400, 404), buf[:300]
    assert b"outside" not in buf.split(b"\r\n\r\n", 1)[1]
    assert b"<html" not in buf


def test_symlink_inside_the_folder_is_served(gw, site):
    r = gw.http.get(gw.base + "/alias.css", timeout=5)
    assert r.status_code == 200 and r.content == (site / "app.css").read_bytes()


def test_the_folder_over_its_limit_stops_the_gateway(tmp_path, site):
    s = make_suite(str(tmp_path))
    for _ in running_suite(s):
        with pytest.raises(AssertionError) as e:
            Gateway(s, extra={"web": str(site), "web_max_bytes": 1000})
        assert "web_max_bytes (1000)" in str(e.value), str(e.value)


def test_vendored_files_match_the_manifest():
    with open(os.path.join(WEB, "vendor", "MANIFEST.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    listed = set()
    for p in manifest["packages"]:
        assert p["name"] and p["version"] and p["licence"] and len(p["tarball_sha256"]) == 64
        assert p["tarball"].startswith(f"https://registry.npmjs.org/{p['name']}/-/")
        assert p["version"] in p["tarball"]
        for entry in p["files"]:
            with open(os.path.join(WEB, "vendor", entry["path"]), "rb") as f:
                assert hashlib.sha256(f.read()).hexdigest() == entry["sha256"], entry["path"]
            assert ("patch" in entry) == ("upstream_sha256" in entry), entry["path"]
            listed.add(entry["path"])
    on_disk = {os.path.relpath(os.path.join(d, n), os.path.join(WEB, "vendor"))
               for d, _, names in os.walk(os.path.join(WEB, "vendor")) for n in names}
    assert on_disk - {"MANIFEST.json"} == listed, "every vendored file is in the manifest"
