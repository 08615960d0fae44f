# lit configuration for connectorc's user-visible behaviour.
import os
import lit.formats

config.name = "connectorc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.connectorc_bin_dir, "..", "test", "lit")
config.excludes = ["Inputs"]

config.substitutions.append(("%bindir", config.connectorc_bin_dir))
config.substitutions.append(("%connectorc", os.path.join(config.connectorc_bin_dir, "connectorc")))
config.substitutions.append(("%examples", os.path.join(config.connectorc_src_root, "examples")))
config.substitutions.append(("%src", config.connectorc_src_root))
config.environment["NO_COLOR"] = "1"
# A test's directory is inside connectorc's own checkout: git (and connectorc,
# which honours the same variable) must not find that repository from there,
# or a run with worktrees would make branches in it.
config.environment["GIT_CEILING_DIRECTORIES"] = os.path.dirname(os.path.abspath(config.test_exec_root))
for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
# HOME is a directory of this build's own, not the user's: what a test sees
# does not depend on the user's files (connectorc's user registry
# ~/.config/connectorc/providers.json, git's ~/.gitconfig, the agents' logins),
# and what a test writes under $HOME lands in neither the user's home nor
# another copy of the suite's. Git's system-wide configuration is left out
# too. (Tests that need a HOME of their own still set HOME=%t/home.)
home = os.path.join(os.path.normpath(config.test_exec_root), "Output", "home")
os.makedirs(home, exist_ok=True)
config.environment["HOME"] = home
config.environment["GIT_CONFIG_NOSYSTEM"] = "1"
# The runs' control sockets (and the daemon's) go in a runtime directory of
# this build's own, not the user's: `connectorc ps` in a test lists the runs of
# this suite only. Short, in /tmp: a socket's path has at most 107 bytes.
import hashlib
runtime_dir = "/tmp/connectorc-lit-" + hashlib.sha1(
    os.path.abspath(config.test_exec_root).encode()).hexdigest()[:10]
os.makedirs(runtime_dir, mode=0o700, exist_ok=True)
os.chmod(runtime_dir, 0o700)
config.environment["XDG_RUNTIME_DIR"] = runtime_dir
if os.geteuid() == 0:
    config.available_features.add("root")
config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, config.connectorc_bin_dir, config.environment.get("PATH", os.environ["PATH"])])
# util-linux's script(1) gives a test a terminal (the progress display).
import shutil
if shutil.which("script"):
    config.available_features.add("script")
# The openssl command makes a test's self-signed certificate (server/tls.test).
if shutil.which("openssl"):
    config.available_features.add("openssl")
# The SSH tests (test/lit/ssh/) start a real sshd on a loopback port; they
# are UNSUPPORTED where sshd cannot accept a generated configuration.
import subprocess
import sys
sshd_py = os.path.join(config.test_source_root, "ssh", "Inputs", "sshd.py")
if subprocess.run([sys.executable, sshd_py, "can-run"]).returncode == 0:
    config.available_features.add("sshd")
    # A second "host" in its own network namespace (sshd.py start-netns)
    # where namespaces and veth pairs can be made and sshd runs in one: tried
    # for real, then removed. Elsewhere (unprivileged, containers) the tests
    # that need it are UNSUPPORTED.
    try:
        if subprocess.run([sys.executable, sshd_py, "can-netns"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=120).returncode == 0:
            config.available_features.add("sshd-netns")
    except subprocess.TimeoutExpired:
        pass
