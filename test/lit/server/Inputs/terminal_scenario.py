"""A session's terminal over WebSocket: the redraw on connect, read-only
unless asked, resize, typing the answer; events of one run; stop."""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from srv import Server, WebSocket, sse  # noqa: E402

connectorc, project = sys.argv[1], sys.argv[2]
s = Server(connectorc, project)
auth = {"Authorization": "Bearer " + s.token}


def start():
    st, _, doc = s.request("POST", "/api/v1/runs", {"spec_path": "ask.connector.json"})
    assert st == 201, (st, doc)
    return doc["id"]


def waiting(run):
    def pred():
        st, _, d = s.request("GET", "/api/v1/runs/" + run)
        t = [x for x in d.get("tasks", []) if x["id"] == "ask/1"]
        return t and t[0].get("state") == "waiting for input"
    s.wait(pred, "waiting for input")


def until_text(ws, pred):
    """Binary messages until their text so far satisfies pred."""
    text = ""
    while not pred(text):
        op, data = ws.recv()
        if op == 2:
            text += data.decode(errors="replace")
        elif op == 8:
            raise EOFError("closed: " + text[-200:])
    return text


run = start()
got = {}
opened = threading.Event()
t = threading.Thread(target=lambda: got.update(events=sse(
    s.port, "/api/v1/events?run=" + run, s.token,
    on_open=lambda _: opened.set(),
    until=lambda e: e.get("event") == "run-end")[1]))
t.start()
opened.wait(30)
other = None
waiting(run)

path = "/api/v1/runs/%s/tasks/ask/1/terminal" % run
ro = WebSocket(s.port, path, auth)
print("read-only:", ro.status)
op, data = ro.recv()
print("first message:", op, json.loads(data))
print("redraw has the question:",
      "Do you trust this folder?" in until_text(ro, lambda t: "Do you trust" in t))
ro.send(b"n\r")  # a reader's keys do not reach the agent

w = WebSocket(s.port, path + "?write=1&rows=30&cols=100", auth)
print("writer:", w.status)
op, data = w.recv()
print("writer attached:", json.loads(data))
w2 = WebSocket(s.port, path + "?write=1", auth)
print("second writer:", w2.status, "409" in w2.head)
# The writer's window reached the agent (SIGWINCH) before another size is
# sent: the test agent's handler prints, and must not be entered twice.
until_text(w, lambda t: "size: 30x100" in t and t.rfind("Do you trust") > t.find("size: 30x100"))
w.send(json.dumps({"type": "resize", "rows": 40, "cols": 120}), binary=False)
text = until_text(w, lambda t: "size: 40x120" in t
                  and t.rfind("Do you trust") > t.find("size: 40x120"))
print("resized:", "size: 40x120" in text)
print("still waiting (the reader's n was not typed):", "answer:" not in text)
w.send(b"y\r")
print("answered:", "answer: y" in until_text(w, lambda t: "answer: y" in t))
# The session ends: a text message says so, then a close.
msgs = []
while True:
    try:
        op, data = w.recv()
    except EOFError:
        break
    msgs.append(op)
    if op == 1:
        print("closed message:", json.loads(data))
    if op == 8:
        break
print("close frame:", 8 in msgs)
t.join(60)
names = [e["event"] for e in got["events"]]
print("events of the run only:", all(e["run"] == run for e in got["events"]),
      "run-end" in names)
st, _, d = s.request("GET", "/api/v1/runs/" + run)
print("run after:", d["run"]["status"])
st, _, d = s.request("GET", "/api/v1/runs/%s/tasks/ask/1/answer" % run)
print("answer:", st, "answer: y" in d["answer"])
ws = WebSocket(s.port, path, auth)
print("terminal of a run that is over:", ws.status)

# Typing through the REST API, and stopping a task.
run2 = start()
waiting(run2)
st, _, d = s.request("POST", "/api/v1/runs/%s/tasks/nope/1/send" % run2, {"text": "y"})
print("send to an unknown task:", st)
st, _, d = s.request("POST", "/api/v1/runs/%s/tasks/ask/1/stop" % run2)
print("stop task:", st, d)
s.wait(lambda: not s.request("GET", "/api/v1/runs/" + run2)[2]["run"]["live"], "run 2's end")
st, _, d = s.request("GET", "/api/v1/runs/" + run2)
print("run 2:", d["run"]["status"], [x["status"] for x in d["tasks"]])
# Continued: the stopped task runs again; answered through send.
# The daemon lets go of a run when it sees its process end: until then a
# resume is refused (409, it holds the run still).
res = s.wait(lambda: (lambda r: r if r[0] != 409 else None)(
    s.request("POST", "/api/v1/runs/%s/resume" % run2)), "the daemon to let go")
st, _, d = res
print("resume:", st, d.get("id") == run2)
waiting(run2)
st, _, d = s.request("POST", "/api/v1/runs/%s/tasks/ask/1/send" % run2, {"text": "y"})
print("send:", st, d)
s.wait(lambda: not s.request("GET", "/api/v1/runs/" + run2)[2]["run"]["live"]
       and s.request("GET", "/api/v1/runs/" + run2)[2]["run"]["status"] != "interrupted",
       "run 2's second end")
print("run 2 again:", s.request("GET", "/api/v1/runs/" + run2)[2]["run"]["status"])
run3 = start()
waiting(run3)
st, _, d = s.request("POST", "/api/v1/runs/%s/stop" % run3)
print("stop run:", st)
s.wait(lambda: not s.request("GET", "/api/v1/runs/" + run3)[2]["run"]["live"], "run 3's end")
print("run 3:", s.request("GET", "/api/v1/runs/" + run3)[2]["run"]["status"])
print("stop:", s.stop())
