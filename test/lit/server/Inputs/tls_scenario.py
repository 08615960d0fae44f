"""serve with TLS: HTTPS answers, the cookie is Secure, a plain client gets
nothing, and an address that is not loopback is allowed with TLS."""
import http.client
import os
import re
import ssl
import subprocess
import sys
import tempfile

connectorc, project, cert, key = sys.argv[1:5]
runtime = tempfile.mkdtemp(prefix="cc-srv-")
os.chmod(runtime, 0o700)
env = dict(os.environ, XDG_RUNTIME_DIR=runtime, XDG_CONFIG_HOME=os.path.join(project, ".cfg"))


def serve(listen):
    p = subprocess.Popen([connectorc, "serve", "--listen", listen, "--print-url",
                          "--tls-cert", cert, "--tls-key", key],
                         cwd=project, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    url = p.stdout.readline().strip()
    return p, url


p, url = serve("127.0.0.1:0")
m = re.match(r"(https)://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]{64})$", url)
print("url:", bool(m), m.group(1) if m else url)
port, token = int(m.group(2)), m.group(3)
ctx = ssl.create_default_context(cafile=cert)
ctx.check_hostname = False


def get(path, headers):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, dict(r.getheaders())


print("no token:", get("/api/v1/runs", {})[0])
print("token:", get("/api/v1/runs", {"Authorization": "Bearer " + token})[0])
print("http origin on https:", get("/api/v1/runs", {"Authorization": "Bearer " + token,
                                                    "Origin": "http://127.0.0.1:%d" % port})[0])
st, h = get("/?token=" + token, {})
print("cookie:", st, "Secure" in h.get("Set-Cookie", ""), "HttpOnly" in h.get("Set-Cookie", ""))
# Plain HTTP to the TLS port: no answer.
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
try:
    c.request("GET", "/api/v1/runs", headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    print("plain http:", r.status)
except Exception as e:  # noqa: BLE001
    print("plain http: refused")
p.terminate()
print("stop:", p.wait(timeout=30))
p, url = serve("0.0.0.0:0")
print("0.0.0.0 with TLS:", url.startswith("https://0.0.0.0:"))
p.terminate()
p.wait(timeout=30)
r = subprocess.run([connectorc, "serve", "--listen", "127.0.0.1:0", "--tls-cert", cert],
                   cwd=project, env=env, capture_output=True, text=True)
print("cert without key:", r.returncode, r.stderr.strip())
