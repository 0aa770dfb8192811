"""Real receivers for xc-notify's channels, in-process on 127.0.0.1 with ephemeral ports.

WebhookServer is an HTTP server (http.server, one thread per connection) that verifies every body
as a message signed by notify (the suite's registry), records it and answers 200, or 500 when
told to fail a recipient's first N requests or all of them. SmtpServer is an aiosmtpd server
that parses every message with the email module (RFC 2047 subject, base64 body) and answers 250,
or 451 when told to fail a recipient's first N messages. Both are stopped by the test's fixture.
"""

import email
import email.policy
import http.server
import socket
import threading
import time

from aiosmtpd.controller import Controller

import xcwire



# The default rules of docs/services/notify.md, written out for the tests that add a rule.
DEFAULT_RULES = [
    {"id": "warning-green", "events": ["rectify.warning"], "when": {"colour": ["green"]},
     "to": ["owners|role:officer"]},
    {"id": "warning-yellow", "events": ["rectify.warning"], "when": {"colour": ["yellow"]},
     "to": ["owners|role:officer", "lead_leaders|role:supervising_leader"]},
    {"id": "overdue", "events": ["rectify.overdue"], "to": ["role:party_secretary", "role:office"]},
    {"id": "escalated", "events": ["rectify.escalated"], "to": ["role:office", "role:principal_leader"]},
    {"id": "revisit-due", "events": ["revisit.due"], "to": ["role:office"]},
    {"id": "referral-warning", "events": ["referral.warning"], "to": ["target"]},
    {"id": "referral-overdue", "events": ["referral.overdue"], "to": ["role:office", "target"]},
    {"id": "referral-extension", "events": ["referral.extension_requested"], "to": ["role:office"]},
    {"id": "report-overdue", "events": ["round.report_overdue"], "to": ["role:office"]},
    {"id": "interview", "events": ["interview.recommended"], "to": ["role:office_leadership"]},
    {"id": "calendar-waiting", "events": ["calendar.waiting"], "to": ["role:office"]},
    {"id": "calendar-missing", "events": ["calendar.missing"], "to": ["role:office"]},
]

class WebhookServer:
    """POST /hook/<recipient>: each request is recorded as a dict with recipient, headers
    (lower-case names), raw body, the verified body (or error), the status answered and the
    monotonic time it came."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.fail_first = {}        # recipient -> answer 500 to its first n requests
        self.fail_always = set()    # recipients always answered 500
        self.registry = None        # the suite's registry, set before notify starts
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"     # so that curl's Expect: 100-continue is answered

            def log_message(self, *args):
                pass

            def do_POST(self):
                server._post(self)

            def do_GET(self):
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, recipient):
        return f"http://127.0.0.1:{self.port}/hook/{recipient}"

    @staticmethod
    def _read_body(h):
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = b""
            while True:
                size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return raw
                raw += h.rfile.read(size)
                h.rfile.readline()
        return h.rfile.read(int(h.headers.get("Content-Length", "0")))

    def _post(self, h):
        t = time.monotonic()
        raw = self._read_body(h)
        path = h.path
        recipient = path[len("/hook/"):] if path.startswith("/hook/") else None
        rec = {"recipient": recipient, "path": path, "raw": raw, "t": t,
               "headers": {k.lower(): v for k, v in h.headers.items()},
               "header": None, "body": None, "payload": None, "error": None}
        try:
            _, _, _, _, _ = xcwire.parse(raw)
            rec["payload"] = xcwire.unb64u(xcwire.strict_loads(raw)["payload"]).decode("utf-8")
            header, body = xcwire.open_message(raw, self.registry)
            rec["header"], rec["body"] = header, body
            xcwire.check_notice(raw, self.registry, "notify", recipient, path)
        except Exception as e:     # recorded and answered 400: the test looks at every error
            rec["error"] = f"{type(e).__name__}: {e}"
        with self.lock:
            earlier = sum(1 for r in self.requests if r["recipient"] == recipient)
            if rec["error"]:
                status = 400
            elif recipient in self.fail_always or earlier < self.fail_first.get(recipient, 0):
                status = 500
            else:
                status = 200
            rec["status"] = status
            self.requests.append(rec)
        answer = b'{"ok":true}' if status == 200 else b'{"ok":false}'
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(answer)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(answer)
        h.close_connection = True

    # --- what the tests read ---

    def all(self, recipient=None):
        with self.lock:
            return [r for r in self.requests if recipient is None or r["recipient"] == recipient]

    def errors(self):
        return [(r["path"], r["error"]) for r in self.all() if r["error"]]

    def notices(self, recipient=None):
        """The notices accepted (answered 2xx), a copy with a message id seen before dropped, as
        a receiver does: a list of the message bodies' data."""
        seen, out = set(), []
        for r in self.all(recipient):
            if r["status"] == 200 and r["body"]["id"] not in seen:
                seen.add(r["body"]["id"])
                out.append(r["body"]["data"])
        return out

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class _BoundController(Controller):
    """aiosmtpd's Controller on a socket bound here to an ephemeral port (the stock one needs
    the port number before it starts)."""

    def __init__(self, handler):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(32)
        super().__init__(handler, hostname="127.0.0.1", port=self._sock.getsockname()[1],
                         ready_timeout=5.0)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


class SmtpServer:
    """Every DATA is recorded as a dict: mail_from, rcpt_tos, raw, msg (email.message.EmailMessage),
    subject (decoded), message_id, text (the decoded body), status answered, error."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.fail_first = {}        # rcpt address -> answer 451 to its first n messages
        self.controller = _BoundController(self)
        self.controller.start()
        self.port = self.controller.port

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        rec = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos), "raw": raw,
               "msg": None, "subject": None, "message_id": None, "text": None, "error": None,
               "t": time.monotonic()}
        try:
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            rec["msg"] = msg
            rec["subject"] = str(msg["Subject"])
            rec["message_id"] = msg["Message-ID"] and str(msg["Message-ID"]).strip()
            rec["text"] = msg.get_body(preferencelist=("plain",)).get_content()
        except Exception as e:
            rec["error"] = f"{type(e).__name__}: {e}"
        to = rec["rcpt_tos"][0] if rec["rcpt_tos"] else None
        with self.lock:
            earlier = sum(1 for m in self.messages if m["rcpt_tos"][:1] == [to])
            rec["status"] = 451 if earlier < self.fail_first.get(to, 0) else 250
            self.messages.append(rec)
        return "451 4.3.0 try again later" if rec["status"] == 451 else "250 OK"

    def all(self, rcpt=None):
        with self.lock:
            return [m for m in self.messages if rcpt is None or rcpt in m["rcpt_tos"]]

    def accepted(self, rcpt=None):
        """The messages answered 250, a copy with a Message-ID seen before dropped."""
        seen, out = set(), []
        for m in self.all(rcpt):
            if m["status"] == 250 and m["message_id"] not in seen:
                seen.add(m["message_id"])
                out.append(m)
        return out

    def stop(self):
        self.controller.stop()
