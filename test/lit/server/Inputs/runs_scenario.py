"""Runs over the API: start one on the sim agent, follow its events, read
what it did; bad input answered with problem documents, changing nothing."""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from srv import Server, raw, sse  # noqa: E402

connectorc, project = sys.argv[1], sys.argv[2]
s = Server(connectorc, project)

st, h, doc = s.request("GET", "/api/v1/openapi.json")
print("openapi:", st, doc["openapi"], "/api/v1/runs" in doc["paths"], len(doc["paths"]))

# The events of every run, from before the run starts.
got = {}
opened = threading.Event()


def follow():
    got["head"], got["events"] = sse(
        s.port, "/api/v1/events", s.token, on_open=lambda _: opened.set(),
        until=lambda e: e.get("event") == "run-end")


t = threading.Thread(target=follow)
t.start()
opened.wait(30)

st, h, doc = s.request("POST", "/api/v1/runs",
                       {"spec_path": "srv.connector.json", "simulate": True})
print("start:", st, sorted(doc))
run = doc["id"]
print("location:", h.get("Location") == "/api/v1/runs/" + run)


def ended():
    st, _, d = s.request("GET", "/api/v1/runs/" + run)
    return st == 200 and not d["run"]["live"] and d["run"].get("status") in (
        "succeeded", "failed", "interrupted") and d


d = s.wait(ended, "the run's end")
print("run:", d["run"]["status"], d["run"]["workflow"], len(d["tasks"]))
for task in d["tasks"]:
    print("task:", task["id"], task["status"], len(task["attempts"]),
          task["attempts"][0]["outcome"], "estimated_cost_usd" in task)
t.join(60)
print("events content type:", "text/event-stream" in got["head"])
names = [e["event"] for e in got["events"] if e["run"] == run]
print("events:", names[0], "task-done" in names, names[-1])

st, _, doc = s.request("GET", "/api/v1/runs")
print("listed:", [(r["id"] == run, r["state"], r["live"]) for r in doc["runs"]])
st, _, doc = s.request("GET", "/api/v1/runs/" + run[:len("srv-")])
print("by prefix:", st, doc["run"]["id"] == run)
st, _, doc = s.request("GET", "/api/v1/runs/%s/tasks/work/1/answer" % run)
print("answer:", st, "Simulated answer" in doc["answer"])
st, _, doc = s.request("GET", "/api/v1/runs/%s/tasks/work%%2F1/transcript" % run)
print("transcript:", st, doc["truncated"], "Simulated answer" in doc["text"])
st, _, doc = s.request("GET", "/api/v1/runs/%s/tasks/work/1/transcript?raw=1&max_bytes=10" % run)
print("raw transcript:", st, doc["truncated"], len(doc["base64"]))
st, _, doc = s.request("GET", "/api/v1/runs/%s/tasks/work/1/diff" % run)
print("diff:", st, doc["worktree"], "+hello from the sim" in doc["diff"], "notes.txt" in doc["diff"])
st, _, doc = s.request("GET", "/api/v1/runs/%s/tasks/sum/1/diff" % run)
print("no worktree:", st, doc["detail"])
st, _, doc = s.request("GET", "/api/v1/runs/%s/mail" % run)
print("mail:", st, doc)

# Mail: a run whose tasks have mailboxes.
st, _, doc = s.request("POST", "/api/v1/runs", {"spec_path": "mb.connector.json", "simulate": True})
mb = doc["id"]
run_saved, run = run, mb
wait_end_mb = s.wait(ended, "the mail run's end")
run = run_saved
st, _, doc = s.request("POST", "/api/v1/runs/%s/mail" % mb,
                       {"to": "a.1", "subject": "from the API", "body": "hello a"})
print("mail send:", st, doc)
st, _, doc = s.request("POST", "/api/v1/runs/%s/mail" % mb, {"to": "all", "body": "everyone"})
print("mail to all:", st, sorted(doc["delivered"]))
st, _, doc = s.request("GET", "/api/v1/runs/%s/mail?mailbox=a.1" % mb)
msgs = [(m["from"], m["subject"], m["body"]) for m in doc["mailboxes"][0]["messages"]
        if m.get("from") == "operator"]
print("mailbox a:", st, sorted(msgs))
st, _, doc = s.request("POST", "/api/v1/runs/%s/mail" % mb, {"to": "zz", "body": "x"})
print("mail to nobody:", st, doc["detail"])
st, _, doc = s.request("POST", "/api/v1/runs/%s/mail" % mb,
                       {"to": "a.1", "subject": "two\nlines", "body": "x"})
print("mail bad subject:", st)
st, _, doc = s.request("POST", "/api/v1/runs/%s/mail" % mb, {"to": "a.1", "from": "../x", "body": "x"})
print("mail bad sender:", st)

# Bad input: a clear 4xx, nothing changed.
def problem(label, method, path, body=None, raw=None, headers=None):
    st, h, doc = s.request(method, path, body, raw_body=raw, headers=headers)
    kind = doc["type"].rsplit("#problem-", 1)[1] if isinstance(doc, dict) and "type" in doc else doc
    print("%s: %d %s %s | %s" % (label, st, h.get("Content-Type"), kind,
                                 doc.get("detail", "") if isinstance(doc, dict) else ""))
    return doc


before = s.request("GET", "/api/v1/runs")[2]
problem("broken json", "POST", "/api/v1/runs", raw=b'{"spec_path": ',
        headers={"Content-Type": "application/json"})
problem("not an object", "POST", "/api/v1/runs", body=[1, 2])
problem("wrong type", "POST", "/api/v1/runs", body={"spec_path": 7})
problem("neither", "POST", "/api/v1/runs", body={})
# The body's length is refused before the body is read.
answer = raw(s.port, ("POST /api/v1/runs HTTP/1.1\r\nHost: %s\r\nAuthorization: "
                      "Bearer %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %d\r\n\r\n{" % (s.host, s.token, 9 << 20)).encode())
print("oversized:", answer.split("\r\n")[0], "application/problem+json" in answer,
      "too-large" in answer)
answer = raw(s.port, b"GARBAGE / HTTP/9\r\n\r\n")
print("malformed request:", answer.split("\r\n")[0])
problem("outside", "POST", "/api/v1/runs", body={"spec_path": "../elsewhere.connector.json"})
problem("absolute outside", "POST", "/api/v1/runs", body={"spec_path": "/etc/passwd"})
problem("symlink outside", "POST", "/api/v1/runs", body={"spec_path": "link.json"})
problem("missing", "POST", "/api/v1/runs", body={"spec_path": "nope.connector.json"})
d = problem("errors", "POST", "/api/v1/runs", body={"spec": '{"connector": "2.0", "name": "x"}'})
print("errors' diagnostics:", len(d["diagnostics"]) > 0, sorted(d["diagnostics"][0])[:3])
problem("unknown run", "GET", "/api/v1/runs/no-such-run")
problem("dot dot run", "GET", "/api/v1/runs/..")
problem("unknown task", "GET", "/api/v1/runs/%s/tasks/zz/9/answer" % run)
problem("dot dot task", "GET", "/api/v1/runs/%s/tasks/../../etc/answer" % run)
problem("stop over", "POST", "/api/v1/runs/%s/stop" % run)
problem("resume succeeded", "POST", "/api/v1/runs/%s/resume" % run)
problem("send over", "POST", "/api/v1/runs/%s/tasks/work/1/send" % run, body={"text": "hi"})
problem("unknown path", "GET", "/api/v1/nope")
problem("wrong method", "DELETE", "/api/v1/runs")
problem("not a websocket", "GET", "/api/v1/runs/%s/tasks/work/1/terminal" % run)
problem("bad timeout", "POST", "/api/v1/runs", body={"spec_path": "srv.connector.json", "timeout": "soon"})
problem("bad jobs", "POST", "/api/v1/runs", body={"spec_path": "srv.connector.json", "jobs": -1})
after = s.request("GET", "/api/v1/runs")[2]
print("runs unchanged:", before == after)
print("posted specs kept:", os.listdir(os.path.join(project, ".connector", "posted")))

# lint, build and explain of a posted spec.
spec = open(os.path.join(project, "srv.connector.json")).read()
st, _, doc = s.request("POST", "/api/v1/lint", {"spec": spec})
print("lint:", st, doc)
st, _, doc = s.request("POST", "/api/v1/lint", {"spec": '{"connector": "2.0", "name": "x", "bogus": 1}', "name": "bad.connector.json"})
print("lint bad:", st, doc["ok"], sorted(doc["diagnostics"][0]))
print("lint bad's file:", doc["diagnostics"][0]["file"].endswith("/bad.connector.json"))
st, _, doc = s.request("POST", "/api/v1/build", {"spec": spec, "simulate": True})
print("build:", st, doc["ok"], doc["plan"]["workflow"], len(doc["plan"]["tasks"]))
st, _, doc = s.request("POST", "/api/v1/explain", {"spec": spec})
print("explain:", st, doc["ok"], doc["text"].splitlines()[0])
print("stop:", s.stop())
