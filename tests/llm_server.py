"""A fake OpenAI-compatible Chat Completions server on 127.0.0.1 for the language model tests.

    server = FakeModel().start()          # server.base_url -> "http://127.0.0.1:<port>/v1"
    server.requests                       # every request received: (path, headers, body)
    server.stop()

What it answers depends on a marker in the article text it is sent ("[fake:invalid-json]"):

    (none)            a good answer: one claim whose evidence is the article's first sentence,
                      one whose quote is not in the text, one with a stage outside the
                      vocabulary (the last two must be dropped by the checks)
    invalid-json      content that is not JSON
    refusal           a refusal
    empty             an empty message
    rate-limited      429 with Retry-After: 1 on the first request for the article, then good
    server-error      500, always
    stall             headers, then nothing for a long time
    huge              a 50 MB body
    schema-400        400 for a request with response_format json_schema, good in JSON mode
    slow              a good answer after 0.3 s (``server.most_in_flight``: the most requests
                      it was answering at once)
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MARKER = re.compile(r"\[fake:([a-z0-9-]+)\]")


def first_sentence(text: str) -> str:
    body = text.split("Text:\n", 1)[-1]
    m = re.search(r"^(.+?[.!?])(?:\s|$)", body.strip(), re.S)
    return (m.group(1) if m else body.strip()[:200]).strip()


def good_answer(user_message: str) -> dict[str, object]:
    evidence = first_sentence(user_message)
    claims = [
        {
            "institution": "Harbor Hospital",
            "location": "Fakeville",  # said by no article: a stored "Fakeville" came from the fake
            "therapy": "CAR-T cell therapy",
            "therapy_detail": "CAR-T cells",
            "indication": "lupus",
            "stage": "clinical_trial",
            "patients": 6,
            "outcome": "improved",
            "evidence": evidence,
        },
        {
            "institution": "Harbor Hospital",
            "location": None,
            "therapy": "gene therapy",
            "therapy_detail": None,
            "indication": "hemophilia B",
            "stage": "clinical_use",
            "patients": None,
            "outcome": None,
            "evidence": "A sentence the article never wrote.",
        },
        {
            "institution": None,
            "location": None,
            "therapy": "cell therapy",
            "therapy_detail": None,
            "indication": "knee osteoarthritis",
            "stage": "marketed",
            "patients": None,
            "outcome": None,
            "evidence": evidence,
        },
    ]
    return {"claims": claims}


def completion(content: str | None, refusal: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        }
    ).encode()


class FakeModel:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, object]]] = []
        self.times: list[float] = []
        self._seen: set[str] = set()
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake._lock:
                    fake.requests.append((self.path, dict(self.headers), body))
                    fake.times.append(time.monotonic())
                if self.path != "/v1/chat/completions":
                    self._send(404, b'{"error": "not found"}')
                    return
                user = next((m["content"] for m in body.get("messages", []) if m["role"] == "user"), "")
                marker = MARKER.search(user)
                mode = marker.group(1) if marker else "good"
                with fake._lock:
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                try:
                    self._answer(mode, user, body)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def _answer(self, mode: str, user: str, body: dict[str, object]) -> None:
                if mode == "rate-limited":
                    with fake._lock:
                        first = user not in fake._seen
                        fake._seen.add(user)
                    if first:
                        self._send(429, b'{"error": "slow down"}', {"Retry-After": "1"})
                        return
                    mode = "good"
                if mode == "slow":
                    time.sleep(0.3)
                    mode = "good"
                if mode == "schema-400":
                    fmt = body.get("response_format") or {}
                    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
                        self._send(400, b'{"error": "response_format json_schema is not supported"}')
                        return
                    mode = "good"
                if mode == "good":
                    self._send(200, completion(json.dumps(good_answer(user))))
                elif mode == "invalid-json":
                    self._send(200, completion('{"claims": [ {"institution": "Harbor'))
                elif mode == "refusal":
                    self._send(200, completion(None, refusal="I cannot help with that."))
                elif mode == "empty":
                    self._send(200, completion(""))
                elif mode == "server-error":
                    self._send(500, b'{"error": "internal"}')
                elif mode == "stall":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100")
                    self.end_headers()
                    fake._stop.wait(30)
                elif mode == "huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(50 * 1024 * 1024))
                    self.end_headers()
                    chunk = b" " * (1024 * 1024)
                    try:
                        for _ in range(50):
                            self.wfile.write(chunk)
                    except OSError:
                        pass  # the client stopped reading: as it should
                else:
                    self._send(400, b'{"error": "unknown fake mode"}')

            def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeModel:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
