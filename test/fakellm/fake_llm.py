#!/usr/bin/env python3
"""A fake LLM service for tests: one loopback HTTP server that answers the
Anthropic Messages API, the OpenAI Responses and Chat Completions APIs and the
Gemini API, healthy or failing, chosen per request.

Usage:
    python3 fake_llm.py --port-file FILE --log FILE.jsonl [--answer TEXT]
                        [--lifetime SECONDS] [--input-tokens N] [--output-tokens N]
                        [--slow-interval SECONDS] [--dump-dir DIR]
                        [--tool-call NAME=JSON]
                        [--tool-call NAME=JSON]

It binds 127.0.0.1 on a free port, writes the port number to --port-file once it
listens (atomically: a temporary file, then a rename), and exits by itself after
--lifetime seconds (default 900) or on SIGTERM/SIGINT. Start it in the background
and wait for the port file:

    python3 fake_llm.py --port-file p --log l.jsonl & pid=$!
    while [ ! -s p ]; do sleep 0.05; done; port=$(cat p)
    ANTHROPIC_BASE_URL=http://127.0.0.1:$port/ok claude -p hi ...
    kill $pid

Conditions: the first path segment of the base URL chooses how a request is
answered (no known prefix means `ok`):

    ok       answer normally (streaming or not, as asked)
    s401 s403 s429 s500 s503 s529
             that HTTP status with the vendor's own error document (s529 is
             Anthropic's overloaded_error; other vendors get a 529 in their shape)
    s429ra   429 with `Retry-After: 1`
    hang     read the request, never answer (until the client goes away or the
             lifetime ends)
    drop     read the request, close the connection without a response
    slow     answer, streaming one small chunk every --slow-interval s (0.5)

The condition applies to every request under its prefix, model lists included.

APIs (recognised by the path's end, so `/ok/v1/messages` and `/ok/messages` are
the same):
    Anthropic: POST .../v1/messages (SSE when "stream": true),
               POST .../v1/messages/count_tokens, GET .../v1/models
    OpenAI:    POST .../responses (SSE when "stream": true), POST .../chat/completions
               (SSE chunks + [DONE]; usage in a last chunk when
               stream_options.include_usage), GET .../models
    Gemini:    POST .../models/{model}:generateContent, :streamGenerateContent
               (SSE with alt=sse, else a JSON array), :countTokens, GET .../models
Anything else gets a JSON 404. Tool definitions are ignored: the answer is always
the text of --answer (default FAKE-ANSWER-OK) and ends the turn; except with
--tool-call NAME=JSON (Anthropic only), where a request that offers the tool NAME
gets a tool_use of it with that input, and the request that carries its result
gets --answer followed by " TOOL-RESULT: " and the result's text. Usage numbers are
the fixed --input-tokens/--output-tokens (default 1000/50). When a Gemini request
asks for JSON (generationConfig.responseMimeType application/json with a schema),
the answer is a minimal JSON document that fits the schema instead.

Log: one JSON line per request appended to --log (flushed per line):
    {"time", "method", "path", "condition", "api", "model", "stream", "body_size",
     "status", "user_agent", "texts": [{"sha256", "len", "role"}...], "markers": [...]}
`texts` lists every text part of the request: system prompts / instructions, each
message's string content and text blocks (Anthropic, Chat), Responses `input`
(string or items' text parts), Gemini systemInstruction and contents[].parts[].text.
`len` is the length in UTF-8 bytes and `sha256` the hex digest of those bytes.
`markers` are all matches of MARK-[A-Za-z0-9_-]+ in the body.
"""

import argparse
import gzip
import hashlib
import json
import os
import re
import select
import signal
import socket
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CONDITIONS = {"ok", "s401", "s403", "s429", "s429ra", "s500", "s503", "s529",
              "hang", "drop", "slow"}
MARK_RE = re.compile(r"MARK-[A-Za-z0-9_-]+")

ARGS = None
LOG_LOCK = threading.Lock()
LOG_FILE = None
STOPPING = threading.Event()


# ---------------------------------------------------------------- request parsing

def split_condition(path):
    """'/s429/v1/messages?x' -> ('s429', '/v1/messages', 'x')."""
    parts = urlsplit(path)
    p = parts.path
    segs = p.split("/", 2)  # ['', first, rest]
    if len(segs) >= 2 and segs[1] in CONDITIONS:
        cond = segs[1]
        p = "/" + (segs[2] if len(segs) > 2 else "")
    else:
        cond = "ok"
    return cond, p, parts.query


GEMINI_RE = re.compile(r"/models/([^/:]+):(generateContent|streamGenerateContent|countTokens)$")


def classify(method, path, headers):
    """Returns (api, operation, model_from_path)."""
    m = GEMINI_RE.search(path)
    if m:
        return "gemini", m.group(2), m.group(1)
    if path.endswith("/messages/count_tokens"):
        return "anthropic", "count_tokens", None
    if path.endswith("/messages"):
        return "anthropic", "messages", None
    if path.endswith("/responses"):
        return "openai-responses", "responses", None
    if path.endswith("/chat/completions"):
        return "openai-chat", "chat", None
    if method == "GET" and re.search(r"/models(/[^/]+)?$", path):
        if "v1beta" in path or "x-goog-api-key" in headers:
            return "gemini", "models", None
        if "anthropic-version" in headers or "x-api-key" in headers:
            return "anthropic", "models", None
        return "openai-chat", "models", None
    if "v1beta" in path:
        return "gemini", "other", None
    if "anthropic-version" in headers:
        return "anthropic", "other", None
    return "other", "other", None


def _text_entry(text, role):
    b = text.encode("utf-8", "surrogatepass")
    return {"sha256": hashlib.sha256(b).hexdigest(), "len": len(b), "role": role}


def extract_texts(api, body):
    """Every text part of the request's messages, in order, with its role."""
    out = []
    if not isinstance(body, dict):
        return out

    def blocks(content, role):
        if isinstance(content, str):
            out.append(_text_entry(content, role))
        elif isinstance(content, list):
            for b in content:
                if isinstance(b, str):
                    out.append(_text_entry(b, role))
                elif isinstance(b, dict):
                    if isinstance(b.get("text"), str):
                        out.append(_text_entry(b["text"], role))
                    elif b.get("type") == "tool_result":
                        blocks(b.get("content"), role + ":tool_result")

    if api == "anthropic":
        blocks(body.get("system"), "system")
        for m in body.get("messages") or []:
            if isinstance(m, dict):
                blocks(m.get("content"), str(m.get("role")))
    elif api == "openai-chat":
        for m in body.get("messages") or []:
            if isinstance(m, dict):
                blocks(m.get("content"), str(m.get("role")))
    elif api == "openai-responses":
        blocks(body.get("instructions"), "instructions")
        inp = body.get("input")
        if isinstance(inp, str):
            out.append(_text_entry(inp, "user"))
        elif isinstance(inp, list):
            for item in inp:
                if isinstance(item, dict):
                    if "content" in item:
                        blocks(item.get("content"), str(item.get("role", item.get("type"))))
                    elif isinstance(item.get("text"), str):
                        out.append(_text_entry(item["text"], str(item.get("type"))))
    elif api == "gemini":
        si = body.get("systemInstruction") or body.get("system_instruction")
        if isinstance(si, dict):
            for p in si.get("parts") or []:
                if isinstance(p, dict) and isinstance(p.get("text"), str):
                    out.append(_text_entry(p["text"], "system"))
        elif isinstance(si, str):
            out.append(_text_entry(si, "system"))
        contents = body.get("contents") or []
        gcr = body.get("generateContentRequest")  # countTokens wraps the request
        if isinstance(gcr, dict):
            contents = contents or gcr.get("contents") or []
        for c in contents:
            if isinstance(c, dict):
                for p in c.get("parts") or []:
                    if isinstance(p, dict) and isinstance(p.get("text"), str):
                        out.append(_text_entry(p["text"], str(c.get("role"))))
    return out


def instance_of_schema(schema, depth=0):
    """A minimal value that satisfies a (Gemini/OpenAPI or JSON) schema."""
    if not isinstance(schema, dict) or depth > 8:
        return ARGS.answer
    t = str(schema.get("type", "")).lower()
    if schema.get("enum"):
        return schema["enum"][0]
    if t == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {k: instance_of_schema(v, depth + 1) for k, v in props.items()}
    if t == "array":
        return [instance_of_schema(schema.get("items"), depth + 1)]
    if t in ("integer", "number"):
        lo = schema.get("minimum", 1)  # 1: scores such as Gemini CLI router's complexity_score (1-100)
        return int(lo) if t == "integer" else lo
    if t == "boolean":
        return False
    return ARGS.answer


# ---------------------------------------------------------------- error documents

STATUS = {"s401": 401, "s403": 403, "s429": 429, "s429ra": 429, "s500": 500,
          "s503": 503, "s529": 529}

ANTHROPIC_ERR = {401: ("authentication_error", "invalid x-api-key"),
                 403: ("permission_error", "Your API key does not have permission to use the specified resource."),
                 429: ("rate_limit_error", "Number of requests has exceeded your rate limit (fake)."),
                 500: ("api_error", "Internal server error (fake)"),
                 503: ("api_error", "Service unavailable (fake)"),
                 529: ("overloaded_error", "Overloaded")}
OPENAI_ERR = {401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided: fake-***. (fake)"),
              403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden (fake)"),
              429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests (fake)."),
              500: ("server_error", "server_error", "The server had an error while processing your request (fake)."),
              503: ("server_error", "service_unavailable", "The server is overloaded or not ready yet (fake)."),
              529: ("server_error", "overloaded", "The engine is currently overloaded (fake).")}
GEMINI_ERR = {401: ("UNAUTHENTICATED", "API key not valid. Please pass a valid API key. (fake)"),
              403: ("PERMISSION_DENIED", "The caller does not have permission (fake)"),
              429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota). (fake)"),
              500: ("INTERNAL", "An internal error has occurred. (fake)"),
              503: ("UNAVAILABLE", "The model is overloaded. Please try again later. (fake)"),
              529: ("UNAVAILABLE", "The model is overloaded. (fake)")}


def error_document(api, status):
    if api == "anthropic":
        typ, msg = ANTHROPIC_ERR[status]
        return {"type": "error", "error": {"type": typ, "message": msg},
                "request_id": "req_fake_" + uuid.uuid4().hex[:16]}
    if api == "gemini":
        st, msg = GEMINI_ERR[status]
        return {"error": {"code": status, "message": msg, "status": st}}
    typ, code, msg = OPENAI_ERR[status]
    return {"error": {"message": msg, "type": typ, "param": None, "code": code}}


# ---------------------------------------------------------------- the handler

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-llm/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    # -- plumbing
    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            data = bytearray()
            while True:
                line = self.rfile.readline()
                if not line:
                    break
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(n)
                self.rfile.readline()
            raw = bytes(data)
        else:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
        enc = self.headers.get("Content-Encoding", "").lower()
        try:
            if enc == "gzip":
                raw = gzip.decompress(raw)
            elif enc == "deflate":
                raw = zlib.decompress(raw)
        except Exception:
            pass
        return raw

    def send_json(self, status, doc, extra=None):
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def start_stream(self, ctype="text/event-stream"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def chunk(self, data):
        if isinstance(data, str):
            data = data.encode()
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def sse(self, event, doc):
        head = "event: %s\n" % event if event else ""
        self.chunk(head + "data: " + (doc if isinstance(doc, str) else json.dumps(doc)) + "\n\n")

    def pieces(self, text):
        """The answer in deltas; in the slow condition a pause before each."""
        size = 4 if self.cond == "slow" else 64
        parts = [text[i:i + size] for i in range(0, len(text), size)] or [""]
        for p in parts:
            if self.cond == "slow":
                time.sleep(ARGS.slow_interval)
            yield p

    def wait_for_client_to_leave(self):
        sock = self.connection
        while not STOPPING.is_set():
            r, _, _ = select.select([sock], [], [], 0.5)
            if r:
                try:
                    if not sock.recv(65536, socket.MSG_PEEK):
                        return
                    sock.recv(65536)  # discard anything else it sends
                except OSError:
                    return

    # -- dispatch
    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_HEAD(self):
        self.handle_any("HEAD")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def handle_any(self, method):
        raw = self.read_body()
        self.cond, path, query = split_condition(self.path)
        hdrs = {k.lower(): v for k, v in self.headers.items()}
        api, op, model = classify(method, path, hdrs)
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except Exception:
                body = None
        if model is None and isinstance(body, dict):
            model = body.get("model")
        stream = False
        if op == "streamGenerateContent":
            stream = True
        elif isinstance(body, dict):
            stream = bool(body.get("stream"))
        self.stream = stream
        self.model = model or "fake-model"
        text = raw.decode("utf-8", "replace")
        if ARGS.dump_dir:
            name = "%.3f-%s-%s.json" % (time.time(), self.cond, op)
            with open(os.path.join(ARGS.dump_dir, name), "wb") as f:
                f.write(raw)
        rec = {"time": round(time.time(), 3), "method": method, "path": self.path,
               "condition": self.cond, "api": api, "op": op, "model": model,
               "stream": stream, "body_size": len(raw),
               "user_agent": self.headers.get("User-Agent"),
               "texts": extract_texts(api, body), "markers": MARK_RE.findall(text)}
        if isinstance(body, dict) and body.get("tools"):
            rec["tools"] = len(body["tools"])
        if raw and body is None:
            rec["body_unparsed"] = self.headers.get("Content-Encoding") or "not json"

        status = 200
        try:
            if self.cond == "hang":
                status = "hang"
                write_log(rec, status)
                self.close_connection = True
                self.wait_for_client_to_leave()
                return
            if self.cond == "drop":
                status = "drop"
                write_log(rec, status)
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if self.cond in STATUS:
                status = STATUS[self.cond]
                write_log(rec, status)
                extra = {"Retry-After": "1"} if self.cond == "s429ra" else {}
                if api == "anthropic":
                    extra["request-id"] = "req_fake"
                self.send_json(status, error_document(api if api != "other" else "openai-chat", status), extra)
                return
            status = self.answer(method, api, op, body, query)
            write_log(rec, status)
        except (BrokenPipeError, ConnectionResetError):
            write_log(rec, "client-gone")
            self.close_connection = True

    # -- healthy answers
    def answer(self, method, api, op, body, query):
        b = body if isinstance(body, dict) else {}
        if api == "anthropic":
            if op == "messages" and method == "POST":
                return self.anthropic_messages(b)
            if op == "count_tokens":
                self.send_json(200, {"input_tokens": ARGS.input_tokens})
                return 200
            if op == "models":
                now = "2025-01-01T00:00:00Z"
                ids = ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"]
                self.send_json(200, {"data": [{"type": "model", "id": i, "display_name": i, "created_at": now}
                                              for i in ids],
                                     "has_more": False, "first_id": ids[0], "last_id": ids[-1]})
                return 200
        elif api == "openai-responses" and method == "POST":
            return self.openai_responses(b)
        elif api == "openai-chat":
            if op == "chat" and method == "POST":
                return self.openai_chat(b)
            if op == "models":
                ids = ["fake-model", "gpt-5", "gpt-5-codex", "qwen3-coder-plus"]
                self.send_json(200, {"object": "list",
                                     "data": [{"id": i, "object": "model", "created": 1700000000,
                                               "owned_by": "fake"} for i in ids]})
                return 200
        elif api == "gemini":
            if op in ("generateContent", "streamGenerateContent"):
                return self.gemini_generate(b, op, query)
            if op == "countTokens":
                self.send_json(200, {"totalTokens": ARGS.input_tokens})
                return 200
            if op == "models":
                self.send_json(200, {"models": [{"name": "models/" + m, "displayName": m,
                                                 "supportedGenerationMethods": ["generateContent", "countTokens"]}
                                                for m in ("gemini-2.5-pro", "gemini-2.5-flash")]})
                return 200
        if self.path.rstrip("/") in ("", "/" + self.cond):
            self.send_json(200, {"fake_llm": "ok"})
            return 200
        self.send_json(404, {"error": {"code": 404, "message": "fake-llm: no such endpoint: " + self.path,
                                       "status": "NOT_FOUND", "type": "not_found_error"}})
        return 404

    def usage_in(self):
        return ARGS.input_tokens

    def anthropic_tool_turn(self, b):
        """--tool-call NAME=JSON: the tool_use block to answer with, when the
        request offers the tool NAME and no tool result is in the
        conversation yet; else None. After the result, the answer is --answer
        followed by " TOOL-RESULT: " and the result's text."""
        if not ARGS.tool_call:
            return None, ""
        name, _, args = ARGS.tool_call.partition("=")
        results = []
        for m in b.get("messages") or []:
            content = m.get("content") if isinstance(m, dict) else None
            for block in content if isinstance(content, list) else []:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    inner = block.get("content")
                    if isinstance(inner, list):
                        inner = "".join(x.get("text", "") for x in inner if isinstance(x, dict))
                    results.append(str(inner))
        if results:
            return None, " TOOL-RESULT: " + results[-1]
        offered = [t.get("name") for t in b.get("tools") or [] if isinstance(t, dict)]
        if name not in offered:
            return None, ""
        return {"type": "tool_use", "id": "toolu_fake_" + uuid.uuid4().hex[:20],
                "name": name, "input": json.loads(args or "{}")}, ""

    def anthropic_messages(self, b):
        tool_use, result_text = self.anthropic_tool_turn(b)
        if tool_use:
            return self.anthropic_reply(
                tool_use, dict(tool_use, input={}), "tool_use",
                [{"type": "input_json_delta", "partial_json": json.dumps(tool_use["input"])}])
        answer = ARGS.answer + result_text
        return self.anthropic_reply(
            {"type": "text", "text": answer}, {"type": "text", "text": ""}, "end_turn",
            ({"type": "text_delta", "text": p} for p in self.pieces(answer)))

    def anthropic_reply(self, block, empty_block, stop_reason, deltas):
        """A message of one content block: \p block whole (JSON), or streamed as
        \p empty_block and then \p deltas (SSE)."""
        mid = "msg_fake_" + uuid.uuid4().hex[:20]
        usage = {"input_tokens": ARGS.input_tokens, "output_tokens": ARGS.output_tokens,
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        if not self.stream:
            self.send_json(200, {"id": mid, "type": "message", "role": "assistant", "model": self.model,
                                 "content": [block],
                                 "stop_reason": stop_reason, "stop_sequence": None, "usage": usage},
                           {"request-id": "req_fake"})
            return 200
        self.start_stream()
        self.sse("message_start", {"type": "message_start", "message": {
            "id": mid, "type": "message", "role": "assistant", "model": self.model, "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": dict(usage, output_tokens=1)}})
        self.sse("content_block_start", {"type": "content_block_start", "index": 0,
                                         "content_block": empty_block})
        self.sse("ping", {"type": "ping"})
        for d in deltas:
            self.sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": d})
        self.sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        self.sse("message_delta", {"type": "message_delta",
                                   "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                   "usage": {"output_tokens": ARGS.output_tokens}})
        self.sse("message_stop", {"type": "message_stop"})
        self.end_stream()
        return 200

    def openai_responses(self, b):
        rid = "resp_fake_" + uuid.uuid4().hex[:20]
        iid = "msg_fake_" + uuid.uuid4().hex[:20]
        answer = ARGS.answer
        now = int(time.time())
        usage = {"input_tokens": ARGS.input_tokens, "input_tokens_details": {"cached_tokens": 0},
                 "output_tokens": ARGS.output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": ARGS.input_tokens + ARGS.output_tokens}
        done_part = {"type": "output_text", "text": answer, "annotations": [], "logprobs": []}
        done_item = {"id": iid, "type": "message", "status": "completed", "role": "assistant",
                     "content": [done_part]}

        def resp(status, output, u):
            return {"id": rid, "object": "response", "created_at": now, "status": status,
                    "model": self.model, "output": output, "usage": u, "error": None,
                    "incomplete_details": None, "parallel_tool_calls": True, "tool_choice": "auto",
                    "tools": [], "store": False, "previous_response_id": None}

        if not self.stream:
            doc = resp("completed", [done_item], usage)
            doc["output_text"] = answer
            self.send_json(200, doc)
            return 200
        seq = [0]

        def ev(typ, **kw):
            kw = dict({"type": typ, "sequence_number": seq[0]}, **kw)
            seq[0] += 1
            self.sse(typ, kw)

        self.start_stream()
        ev("response.created", response=resp("in_progress", [], None))
        ev("response.in_progress", response=resp("in_progress", [], None))
        ev("response.output_item.added", output_index=0,
           item={"id": iid, "type": "message", "status": "in_progress", "role": "assistant", "content": []})
        ev("response.content_part.added", item_id=iid, output_index=0, content_index=0,
           part={"type": "output_text", "text": "", "annotations": [], "logprobs": []})
        for p in self.pieces(answer):
            ev("response.output_text.delta", item_id=iid, output_index=0, content_index=0, delta=p,
               logprobs=[])
        ev("response.output_text.done", item_id=iid, output_index=0, content_index=0, text=answer,
           logprobs=[])
        ev("response.content_part.done", item_id=iid, output_index=0, content_index=0, part=done_part)
        ev("response.output_item.done", output_index=0, item=done_item)
        ev("response.completed", response=resp("completed", [done_item], usage))
        self.end_stream()
        return 200

    def openai_chat(self, b):
        cid = "chatcmpl-fake" + uuid.uuid4().hex[:20]
        answer = ARGS.answer
        now = int(time.time())
        usage = {"prompt_tokens": ARGS.input_tokens, "completion_tokens": ARGS.output_tokens,
                 "total_tokens": ARGS.input_tokens + ARGS.output_tokens}
        if not self.stream:
            self.send_json(200, {"id": cid, "object": "chat.completion", "created": now, "model": self.model,
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                              "finish_reason": "stop", "logprobs": None}],
                                 "usage": usage})
            return 200

        def chunk(delta, finish=None, **kw):
            d = {"id": cid, "object": "chat.completion.chunk", "created": now, "model": self.model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
            d.update(kw)
            self.sse(None, d)

        self.start_stream()
        chunk({"role": "assistant", "content": ""})
        for p in self.pieces(answer):
            chunk({"content": p})
        chunk({}, "stop")
        if (b.get("stream_options") or {}).get("include_usage"):
            self.sse(None, {"id": cid, "object": "chat.completion.chunk", "created": now,
                            "model": self.model, "choices": [], "usage": usage})
        self.sse(None, "[DONE]")
        self.end_stream()
        return 200

    def gemini_emit(self, sse, d, sent):
        if sse:
            self.sse(None, d)
        else:
            self.chunk(("" if not sent else ",\n") + json.dumps(d))
        sent.append(1)

    def gemini_generate(self, b, op, query):
        gc = b.get("generationConfig") or b.get("generation_config") or {}
        answer = ARGS.answer
        schema = gc.get("responseSchema") or gc.get("responseJsonSchema") or gc.get("response_schema")
        if str(gc.get("responseMimeType", "")).startswith("application/json") and schema:
            answer = json.dumps(instance_of_schema(schema))
        usage = {"promptTokenCount": ARGS.input_tokens, "candidatesTokenCount": ARGS.output_tokens,
                 "totalTokenCount": ARGS.input_tokens + ARGS.output_tokens}
        rid = uuid.uuid4().hex[:22]

        def doc(text, finish, with_usage):
            cand = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
            if finish:
                cand["finishReason"] = "STOP"
            d = {"candidates": [cand], "modelVersion": self.model, "responseId": rid}
            if with_usage:
                d["usageMetadata"] = usage
            return d

        if op == "generateContent":
            self.send_json(200, doc(answer, True, True))
            return 200
        sse = "sse" in parse_qs(query).get("alt", [])
        docs = []  # each piece its own chunk; the last carries finishReason and usage
        self.start_stream("text/event-stream" if sse else "application/json")
        if not sse:
            self.chunk("[")
        prev = None
        for p in self.pieces(answer):
            if prev is not None:
                self.gemini_emit(sse, doc(prev, False, False), docs)
            prev = p
        self.gemini_emit(sse, doc(prev or "", True, True), docs)
        if not sse:
            self.chunk("]")
        self.end_stream()
        return 200


def write_log(rec, status):
    rec["status"] = status
    line = json.dumps(rec) + "\n"
    with LOG_LOCK:
        LOG_FILE.write(line)
        LOG_FILE.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    global ARGS, LOG_FILE
    ap = argparse.ArgumentParser(description="Fake Anthropic/OpenAI/Gemini service for tests.")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--answer", default="FAKE-ANSWER-OK")
    ap.add_argument("--lifetime", type=float, default=900.0)
    ap.add_argument("--input-tokens", type=int, default=1000)
    ap.add_argument("--output-tokens", type=int, default=50)
    ap.add_argument("--slow-interval", type=float, default=0.5)
    ap.add_argument("--dump-dir", help="also save each request body there (debugging)")
    ap.add_argument("--tool-call", metavar="NAME=JSON",
                    help="Anthropic API: answer a request that offers tool NAME with a call of "
                         "it (JSON: its input), then, once its result is in the conversation, "
                         "with --answer and the result's text")
    ARGS = ap.parse_args()
    LOG_FILE = open(ARGS.log, "a", encoding="utf-8")

    srv = Server(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    tmp = ARGS.port_file + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, ARGS.port_file)

    def stop(*_):
        STOPPING.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, stop)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    STOPPING.wait(ARGS.lifetime)
    STOPPING.set()
    with LOG_LOCK:
        LOG_FILE.flush()
    # Handler threads may be blocked in a hang: do not wait for them.
    os._exit(0)


if __name__ == "__main__":
    main()
