"""The sample service behind the front proxy: answers every request with the headers it got."""
import http.server
import sys


class Echo(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        body = "".join(f"{k.lower()}: {v}\n" for k, v in self.headers.items())
        data = f"upstream saw {self.command} {self.path}\n{body}".encode()
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
