//===- SshTest.cpp - ssh's command line, its options and the probe --------===//
#include "runtime/remote/Ssh.h"
#include "runtime/remote/MachineCheck.h"

#include "ir/SshOption.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include "gtest/gtest.h"

using namespace connectorc;
using namespace connectorc::runtime;

namespace {
ir::Machine machine() {
  ir::Machine M;
  M.Name = "server";
  M.Host = "build.local";
  return M;
}

/// \p A's element after the first \p Flag, or "" when there is none.
std::string after(const std::vector<std::string> &A, llvm::StringRef Flag) {
  auto It = llvm::find(A, Flag);
  return It == A.end() || It + 1 == A.end() ? "" : *(It + 1);
}

TEST(Ssh, EveryFieldBecomesItsFlag) {
  ir::Machine M = machine();
  M.SshConfig = "/etc/cc/ssh_config";
  M.Identity = "/keys/id";
  M.Port = 2222;
  M.User = "ci";
  M.Options = {"ServerAliveInterval=15"};
  auto A = sshArgv(M, {});
  ASSERT_TRUE(bool(A)) << llvm::toString(A.takeError());
  std::vector<std::string> Want = {"/usr/bin/ssh",
                                   "-F",
                                   "/etc/cc/ssh_config",
                                   "-i",
                                   "/keys/id",
                                   "-p",
                                   "2222",
                                   "-l",
                                   "ci",
                                   "-o",
                                   "ServerAliveInterval=15",
                                   "build.local"};
  EXPECT_EQ(*A, Want);
}

TEST(Ssh, ACommandFollowsTheHostAfterDoubleDash) {
  auto A = sshCommandArgv(machine(), {}, {"true"});
  ASSERT_TRUE(bool(A)) << llvm::toString(A.takeError());
  std::vector<std::string> Want = {"/usr/bin/ssh", "build.local", "--", "true"};
  EXPECT_EQ(*A, Want);
}

TEST(Ssh, HostileValuesStayOneArgument) {
  ir::Machine M = machine();
  M.User = "ci; rm -rf ~";
  M.Identity = "-oProxyCommand=touch /tmp/pwned";
  M.SshConfig = "$(reboot) `id` 'q\"";
  auto A = sshArgv(M, {});
  ASSERT_TRUE(bool(A)) << llvm::toString(A.takeError());
  EXPECT_EQ(after(*A, "-l"), M.User);
  EXPECT_EQ(after(*A, "-i"), M.Identity);
  EXPECT_EQ(after(*A, "-F"), M.SshConfig);
  EXPECT_EQ(A->size(), 8u);
  EXPECT_EQ(A->back(), "build.local");
}

TEST(Ssh, AnOptionThatIsNotOneOptionIsRefused) {
  for (const char *Bad :
       {"-oProxyCommand=touch /tmp/x", "-v",
        "Port=22\nProxyCommand=touch /tmp/x", "=yes", "NoValue"}) {
    ir::Machine M = machine();
    M.Options = {Bad};
    auto A = sshArgv(M, {});
    ASSERT_FALSE(bool(A)) << Bad;
    EXPECT_NE(llvm::toString(A.takeError()).find("is not one"),
              std::string::npos);
  }
}

TEST(Ssh, AHostThatIsAnOptionIsRefused) {
  for (const char *Bad : {"-oProxyCommand=touch /tmp/x", "", "a b", "h\n"}) {
    ir::Machine M = machine();
    M.Host = Bad;
    auto A = sshArgv(M, {});
    ASSERT_FALSE(bool(A)) << Bad;
    EXPECT_NE(llvm::toString(A.takeError()).find("machine 'server'"),
              std::string::npos);
  }
}

TEST(Ssh, SettingsShareTheConnectionAndNeverWeakenHostKeys) {
  SshSettings S;
  S.ControlDir = "/run/user/1000/connectorc-ssh";
  S.BatchMode = true;
  S.ConnectTimeoutS = 7;
  ir::Machine M = machine();
  M.Options = {"BatchMode=no"};
  auto A = sshArgv(M, S);
  ASSERT_TRUE(bool(A)) << llvm::toString(A.takeError());
  std::string Line = llvm::join(*A, " ");
  EXPECT_NE(Line.find("-o ControlMaster=auto -o "
                      "ControlPath=/run/user/1000/connectorc-ssh/%C -o "
                      "ControlPersist=60"),
            std::string::npos);
  // ssh keeps an option's first value: ours come before the spec's.
  EXPECT_LT(Line.find("BatchMode=yes"), Line.find("BatchMode=no"));
  EXPECT_NE(Line.find("ConnectTimeout=7"), std::string::npos);
  EXPECT_EQ(Line.find("StrictHostKeyChecking"), std::string::npos);
  EXPECT_EQ(Line.find("UserKnownHostsFile"), std::string::npos);
}

TEST(Ssh, ControlCheckAsksTheMaster) {
  auto A = sshControlCheckArgv(machine(), {});
  ASSERT_TRUE(bool(A)) << llvm::toString(A.takeError());
  std::vector<std::string> Want = {"/usr/bin/ssh", "-O", "check",
                                   "build.local"};
  EXPECT_EQ(*A, Want);
}

TEST(Ssh, ControlDirIsShortAndPlain) {
  EXPECT_EQ(pickControlDir("/run/user/1000", 1000),
            "/run/user/1000/connectorc-ssh");
  EXPECT_EQ(pickControlDir("", 1000), "/tmp/connectorc-ssh-1000");
  EXPECT_EQ(pickControlDir("/run/a b", 7), "/tmp/connectorc-ssh-7");
  EXPECT_EQ(pickControlDir("/run/%d", 7), "/tmp/connectorc-ssh-7");
  EXPECT_EQ(pickControlDir("relative", 7), "/tmp/connectorc-ssh-7");
  std::string Long = "/" + std::string(60, 'x');
  EXPECT_FALSE(controlDirFits(Long + "/connectorc-ssh"));
  EXPECT_EQ(pickControlDir(Long, 7), "/tmp/connectorc-ssh-7");
  EXPECT_TRUE(controlDirFits("/tmp/connectorc-ssh-4294967295"));
}

TEST(SshOption, MachineArgsPutTheCallersSettingsBeforeTheSpecs) {
  // The sh backend's script and sshArgv share these arguments: no program,
  // the caller's settings after -l and before the entry's options.
  ir::Machine M = machine();
  M.User = "ci";
  M.Options = {"ControlPath=/elsewhere"};
  auto A = ir::sshMachineArgs(M, {"-o", "ControlPath=/mine/%C"});
  ASSERT_TRUE(bool(A)) << llvm::toString(A.takeError());
  std::vector<std::string> Want = {"-l", "ci", "-o", "ControlPath=/mine/%C",
                                   "-o", "ControlPath=/elsewhere",
                                   "build.local"};
  EXPECT_EQ(*A, Want);
  M.Host = "-oProxyCommand=x";
  auto Bad = ir::sshMachineArgs(M);
  ASSERT_FALSE(bool(Bad));
  EXPECT_NE(llvm::toString(Bad.takeError()).find("machine 'server'"),
            std::string::npos);
}

TEST(SshOption, SplitsAsSshDoes) {
  auto O = ir::parseSshOption("ServerAliveInterval = 15");
  ASSERT_TRUE(O.has_value());
  EXPECT_EQ(O->Key, "ServerAliveInterval");
  EXPECT_EQ(O->Value, "15");
  EXPECT_TRUE(ir::disablesHostKeyChecking("StrictHostKeyChecking=no"));
  EXPECT_TRUE(ir::disablesHostKeyChecking("stricthostkeychecking off"));
  EXPECT_TRUE(ir::disablesHostKeyChecking("UserKnownHostsFile=/dev/null"));
  EXPECT_FALSE(ir::disablesHostKeyChecking("StrictHostKeyChecking=yes"));
  EXPECT_FALSE(ir::disablesHostKeyChecking("StrictHostKeyChecking=accept-new"));
}

/// The probe's words, joined as ssh joins them and run by a POSIX shell as
/// the remote user's shell would, with a hostile workdir.
TEST(Ssh, TheProbeQuotesItsArguments) {
  llvm::SmallString<128> Base;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("probe", Base));
  std::string Dir = (Base + "/it's $(touch pwned) `id`; x").str();
  ASSERT_FALSE(llvm::sys::fs::create_directories(Dir));
  ir::Machine M = machine();
  M.Workdir = Dir;
  std::string Line =
      llvm::join(probeWords(M, {"sh", "no-such-tool-'$(x)'"}), " ");
  llvm::SmallString<128> Out;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("probe", "out", Out));
  llvm::Optional<llvm::StringRef> Redirects[] = {
      llvm::StringRef(""), llvm::StringRef(Out), llvm::StringRef("")};
  llvm::StringRef Argv[] = {"sh", "-c", Line};
  ASSERT_EQ(llvm::sys::ExecuteAndWait("/bin/sh", Argv, llvm::None, Redirects,
                                      30, 0, nullptr, nullptr, nullptr),
            0);
  auto Buf = llvm::MemoryBuffer::getFile(Out);
  ASSERT_TRUE(bool(Buf));
  EXPECT_EQ((*Buf)->getBuffer(), "workdir ok\nfound sh\n"
                                 "missing no-such-tool-'$(x)'\n"
                                 "connectorc-probe-done\n");
  EXPECT_FALSE(llvm::sys::fs::exists("pwned"));
  llvm::sys::fs::remove(Out);
  llvm::sys::fs::remove_directories(Base);
}
} // namespace
