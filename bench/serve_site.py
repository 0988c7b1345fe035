"""Serve a folder on 127.0.0.1 for the pipeline benchmark: http.server's file handler (with
Last-Modified and If-Modified-Since), HTTP/1.1 keep-alive, and a listen backlog large enough
for many concurrent connections (the stock server's backlog of 5 drops connections).

    python bench/serve_site.py FOLDER PORT
"""

from __future__ import annotations

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive + Nagle + delayed ACK would stall each response

    def log_message(self, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 512
    daemon_threads = True


def main() -> None:
    folder, port = sys.argv[1], int(sys.argv[2])
    Server(("127.0.0.1", port), functools.partial(Handler, directory=folder)).serve_forever()


if __name__ == "__main__":
    main()
