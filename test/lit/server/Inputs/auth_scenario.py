"""Who may use the server: the token, Host, Origin, the cookie."""
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from srv import Server, WebSocket  # noqa: E402

connectorc, project = sys.argv[1], sys.argv[2]
s = Server(connectorc, project)
token_file = os.path.join(s.config, "connectorc", "token")
mode = stat.S_IMODE(os.stat(token_file).st_mode)
print("token file mode: %o" % mode)
print("token file holds the URL's token:", open(token_file).read().strip() == s.token)

st, h, doc = s.request("GET", "/api/v1/runs", token=False)
print("no token:", st, h.get("Content-Type"), doc["type"].rsplit("#", 1)[1], doc["status"])
print("no token says where the token is:", "token" in doc["detail"])
st, _, _ = s.request("GET", "/api/v1/runs", token=False,
                     headers={"Authorization": "Bearer " + "0" * 64})
print("wrong token:", st)
st, _, _ = s.request("GET", "/api/v1/runs", token=False,
                     headers={"Authorization": "Bearer " + s.token[:-1]})
print("short token:", st)
st, _, doc = s.request("GET", "/api/v1/runs")
print("token:", st, doc)
st, _, doc = s.request("GET", "/api/v1/runs", headers={"Origin": "http://evil.example"})
print("foreign origin:", st, doc["type"].rsplit("#", 1)[1])
st, _, _ = s.request("GET", "/api/v1/runs", headers={"Origin": "http://" + s.host})
print("own origin:", st)
st, _, _ = s.request("GET", "/api/v1/runs",
                     headers={"Origin": "https://" + s.host})
print("own host, other scheme:", st)
st, _, doc = s.request("GET", "/api/v1/runs", headers={"Host": "evil.example:%d" % s.port})
print("rebinding host:", st, doc["type"].rsplit("#", 1)[1])
st, _, _ = s.request("GET", "/api/v1/runs", headers={"Host": "localhost:%d" % s.port})
print("localhost:", st)
st, _, _ = s.request("GET", "/api/v1/runs", token=False,
                     headers={"Origin": "http://evil.example"})
print("foreign origin, no token:", st)

# The URL --print-url printed: the token moves into a cookie.
st, h, _ = s.request("GET", "/?token=" + s.token, token=False)
cookie = h.get("Set-Cookie", "")
print("token URL:", st, h.get("Location"))
print("cookie:", cookie.replace(s.token, "TOKEN"))
st, _, _ = s.request("GET", "/api/v1/runs", token=False,
                     headers={"Cookie": cookie.split(";")[0]})
print("with the cookie:", st)
st, _, _ = s.request("GET", "/?token=" + "1" * 64, token=False)
print("wrong token URL:", st)
st, _, doc = s.request("GET", "/")
print("/:", st)

# A cross-site WebSocket: refused before anything else.
ws = WebSocket(s.port, "/api/v1/runs/x/tasks/a/1/terminal",
               {"Origin": "http://evil.example", "Authorization": "Bearer " + s.token})
print("cross-site websocket:", ws.status)
ws = WebSocket(s.port, "/api/v1/runs/x/tasks/a/1/terminal")
print("websocket without token:", ws.status)

print("stop:", s.stop())
# Started again: the same token.
s2 = Server(connectorc, project)
print("same token again:", s2.token == s.token)
s2.stop()
# The commands below fail before they start anything; they get a runtime
# directory of their own all the same.
import tempfile  # noqa: E402
s2.env["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="cc-srv-")
# A token file others may read is refused.
os.chmod(token_file, 0o644)
r = subprocess.run([connectorc, "serve", "--listen", "127.0.0.1:0"],
                   cwd=project, env=s2.env, capture_output=True, text=True)
print("open token file:", r.returncode, r.stderr.strip().replace(token_file, "TOKEN_FILE"))
os.chmod(token_file, 0o600)
# Not loopback: only with TLS.
r = subprocess.run([connectorc, "serve", "--listen", "0.0.0.0:0"],
                   cwd=project, env=s2.env, capture_output=True, text=True)
print("0.0.0.0 without TLS:", r.returncode, r.stderr.strip())
r = subprocess.run([connectorc, "serve", "--listen", "nonsense"],
                   cwd=project, env=s2.env, capture_output=True, text=True)
print("bad --listen:", r.returncode, r.stderr.strip())
