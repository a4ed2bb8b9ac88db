# A webhook receiver on 127.0.0.1: appends every POST body (one JSON
# document a line) to the file argv[1], prints its port, exits after
# argv[2] seconds at most.
import http.server, sys, threading

out = sys.argv[1]


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        with open(out, "ab") as f:
            f.write(body.rstrip(b"\n") + b"\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
threading.Timer(float(sys.argv[2]), s.shutdown).start()
s.serve_forever()
