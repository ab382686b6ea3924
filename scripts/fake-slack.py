"""A fake Slack Web API for load runs (scripts/loadtest.sh with DRAIN=N): answers every call
with `ok`, a DM channel and a message ts, and counts chat.postMessage calls on stderr every
thousand. Loopback only. Usage: python3 scripts/fake-slack.py PORT"""
import http.server
import json
import sys

POSTS = 0
BODY = json.dumps({"ok": True, "channel": {"id": "D0FAKE"}, "ts": "1700000000.000100"}).encode()


class FakeSlack(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global POSTS
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.endswith("chat.postMessage"):
            POSTS += 1
            if POSTS % 1000 == 0:
                print(f"fake slack: {POSTS} messages", file=sys.stderr)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    do_GET = do_POST

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), FakeSlack).serve_forever()
