#!/usr/bin/env python3
"""A stand-in OTLP/HTTP receiver for benchmarks: accepts POST /v1/traces, /v1/metrics, /v1/logs and
answers 200 with an empty protobuf body, counting bytes. Lets the telemetry-overhead benchmark export
for real (serialisation and HTTP included) without a collector. Usage: otlp-sink.py PORT"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = {"requests": 0, "bytes": 0}

class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        received["requests"] += 1
        received["bytes"] += length
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        print(f"otlp-sink: {received['requests']} exports, {received['bytes']} bytes", flush=True)
