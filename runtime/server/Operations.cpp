//===- Operations.cpp - what the daemon's clients may do ------------------===//
#include "runtime/server/Operations.h"

#include "ir/Module.h"
#include "ir/PlanJson.h"
#include "runtime/daemon/Control.h"
#include "runtime/daemon/Daemon.h"
#include "runtime/executor/Journal.h"
#include "runtime/executor/Mailbox.h"
#include "runtime/run/Run.h"
#include "runtime/session/AnsiStrip.h"
#include "runtime/support/Clock.h"
#include "runtime/support/Files.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Base64.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <csignal>
#include <map>
#include <set>
#include <fcntl.h>
#include <unistd.h>

extern char **environ;

using namespace connectorc;
using namespace connectorc::server;
namespace json = llvm::json;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

char OpError::ID = 0;

llvm::Error server::opError(OpErrorKind Kind, const llvm::Twine &Message) {
  return llvm::make_error<OpError>(Kind, Message.str());
}

OpFailure server::takeOpFailure(llvm::Error E) {
  OpFailure F{OpErrorKind::Internal, "", {}};
  llvm::handleAllErrors(
      std::move(E),
      [&](OpError &O) {
        F.Kind = O.Kind;
        F.Message = O.Message;
        F.Diagnostics = std::move(O.Diagnostics);
      },
      [&](const llvm::ErrorInfoBase &Other) { F.Message = Other.message(); });
  return F;
}

llvm::StringRef server::opErrorKindName(OpErrorKind K) {
  switch (K) {
  case OpErrorKind::BadRequest:
    return "bad-request";
  case OpErrorKind::NotFound:
    return "not-found";
  case OpErrorKind::Conflict:
    return "conflict";
  case OpErrorKind::Invalid:
    return "invalid-spec";
  case OpErrorKind::TooLarge:
    return "too-large";
  case OpErrorKind::Forbidden:
    return "forbidden";
  case OpErrorKind::Unavailable:
    return "unavailable";
  case OpErrorKind::Internal:
    return "internal";
  }
  return "internal";
}

std::string server::controlSocketOf(const runtime::RunEntry &E,
                                    llvm::StringRef RuntimeDir) {
  return (RuntimeDir + "/runs/" + E.Key + ".sock").str();
}

llvm::Expected<json::Object> server::askRun(const runtime::RunEntry &E,
                                            llvm::StringRef RuntimeDir,
                                            json::Object Request) {
  llvm::Expected<runtime::ControlClient> C =
      runtime::ControlClient::connect(controlSocketOf(E, RuntimeDir));
  if (!C) {
    llvm::consumeError(C.takeError());
    return opError(OpErrorKind::Unavailable,
                   "the run '" + E.Id +
                       "' does not answer (its connectorc is gone; "
                       "'connectorc status " +
                       E.RunDir + "' shows what it did)");
  }
  return C->call(std::move(Request));
}

namespace {
/// \p S as JSON can carry it: invalid UTF-8 replaced.
std::string utf8(std::string S) {
  if (llvm::json::isUTF8(S))
    return S;
  return llvm::json::fixUTF8(S);
}

/// A name from a client: a run id, a task id, a mailbox. Not empty, short,
/// no control characters, and no "." or ".." component (they are joined to
/// paths).
llvm::Error checkName(llvm::StringRef What, llvm::StringRef Name) {
  if (Name.empty())
    return opError(OpErrorKind::BadRequest, What + " is missing");
  if (Name.size() > 512)
    return opError(OpErrorKind::BadRequest, What + " is too long");
  for (char C : Name)
    if (static_cast<unsigned char>(C) < 0x20 || C == 0x7f)
      return opError(OpErrorKind::BadRequest,
                     What + " holds a control character");
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  Name.split(Parts, '/');
  for (llvm::StringRef P : Parts)
    if (P == "." || P == "..")
      return opError(OpErrorKind::BadRequest,
                     What + " '" + Name + "' has a '.' or '..' part");
  return llvm::Error::success();
}

/// A run's refusal (ControlClient::call's error) as an OpError: a task it
/// does not have is NotFound, anything else a Conflict (a task that is
/// over, a second writer).
llvm::Error fromControl(llvm::Error E) {
  if (E.isA<OpError>())
    return E;
  std::string Why = llvm::toString(std::move(E));
  return opError(llvm::StringRef(Why).startswith("no task")
                     ? OpErrorKind::NotFound
                     : OpErrorKind::Conflict,
                 Why);
}

/// Whether \p Path (absolute, real) is \p Dir or inside it.
bool inside(llvm::StringRef Path, llvm::StringRef Dir) {
  return Path == Dir || (Path.startswith(Dir) && Path.size() > Dir.size() &&
                         Path[Dir.size()] == '/');
}

/// A run named by a client.
struct RunRef {
  std::string Id, RunDir;
  std::optional<runtime::RunEntry> Live;
};

/// A task of a run named by a client.
struct TaskRef {
  RunRef Run;
  ir::Plan Plan;
  size_t Index;
  const ir::Task &task() const { return Plan.Tasks[Index]; }
};

/// The daemon's runs ({id, run_dir, state}): with \p EndedOnly, those that
/// ended while it ran.
std::vector<json::Object> daemonRuns(runtime::RunControl *Daemon,
                                     const std::string &Dir, bool EndedOnly) {
  std::optional<json::Object> S;
  if (Daemon) {
    S = Daemon->status();
  } else if (llvm::Expected<runtime::ControlClient> C =
                 runtime::ControlClient::connect(runtime::daemonSocket(Dir))) {
    llvm::Expected<json::Object> A = C->call(json::Object{{"op", "status"}});
    if (A)
      S = std::move(*A);
    else
      llvm::consumeError(A.takeError());
  } else {
    llvm::consumeError(C.takeError());
  }
  std::vector<json::Object> Out;
  const json::Array *Runs = S ? S->getArray("runs") : nullptr;
  for (const json::Value &V : Runs ? *Runs : json::Array()) {
    const json::Object *R = V.getAsObject();
    if (!R)
      continue;
    llvm::StringRef State = R->getString("state").getValueOr("running");
    if (EndedOnly && (State == "running" || State == "restarting"))
      continue;
    Out.push_back(*R);
  }
  return Out;
}
} // namespace

//===----------------------------------------------------------------------===//
// Impl
//===----------------------------------------------------------------------===//

struct Operations::Impl {
  OperationsConfig C;
  /// What a run directory's report said, while its journal is unchanged.
  struct Cached {
    uint64_t Size = 0;
    int64_t MTime = 0;
    json::Object Entry;
  };
  std::map<std::string, Cached> Reports;

  /// The runtime directory (made when missing).
  llvm::Expected<std::string> runtimeDir() {
    if (!C.RuntimeDir.empty())
      return C.RuntimeDir;
    return runtime::userRuntimeDir();
  }
  std::string runsRoot() const { return C.ProjectDir + "/.connector/runs"; }

  llvm::Expected<RunRef> resolve(llvm::StringRef Name);
  std::optional<json::Object> finishedEntry(const std::string &RunDir,
                                            llvm::StringRef State);
  llvm::Expected<json::Object> startInDaemon(std::vector<std::string> Args,
                                             const std::string &RunDir);
  /// The run \p Run names and its task \p Task (from the run's plan).
  llvm::Expected<TaskRef> resolveTask(llvm::StringRef Run,
                                      llvm::StringRef Task);
  llvm::Expected<CompiledSpec> compile(llvm::StringRef Text,
                                       llvm::StringRef Name, bool Simulate,
                                       CompileMode Mode) {
    if (!C.Compile)
      return opError(OpErrorKind::Internal, "this server compiles no specs");
    return C.Compile(Text, Name, Simulate, Mode);
  }
};

llvm::Expected<RunRef> Operations::Impl::resolve(llvm::StringRef Name) {
  if (llvm::Error E = checkName("the run", Name))
    return E;
  llvm::Expected<std::string> Dir = runtimeDir();
  if (!Dir)
    return opError(OpErrorKind::Internal, llvm::toString(Dir.takeError()));
  // A run directory by its path: only inside the project.
  if (path::is_absolute(Name)) {
    llvm::SmallString<256> Real;
    if (fs::real_path(Name, Real) || !inside(Real, C.ProjectDir))
      return opError(OpErrorKind::Forbidden,
                     "'" + Name + "' is not a run directory of the project " +
                         C.ProjectDir);
    Name = Real.str();
  }
  if (llvm::Expected<runtime::RunEntry> E = runtime::findRun(*Dir, Name)) {
    RunRef R{E->Id, E->RunDir, std::move(*E)};
    // An entry whose process is gone is not live (ps removes it).
    if (R.Live->Pid > 0 && ::kill(static_cast<pid_t>(R.Live->Pid), 0) != 0)
      R.Live.reset();
    return R;
  } else if (llvm::StringRef(llvm::toString(E.takeError())).contains("names ")) {
    return opError(OpErrorKind::BadRequest,
                   "'" + Name + "' names several runs; give its whole id");
  }
  // The daemon's runs (one it has just started has no entry yet, nor a
  // plan), and the project's run directories.
  std::vector<std::string> Dirs, Held;
  for (const json::Object &O : daemonRuns(C.Daemon, *Dir, false))
    Held.push_back(O.getString("run_dir").getValueOr("").str());
  Dirs = Held;
  std::error_code EC;
  for (fs::directory_iterator It(runsRoot(), EC), End; It != End && !EC;
       It.increment(EC))
    Dirs.push_back(It->path());
  std::vector<std::string> Hits;
  for (const std::string &D : Dirs) {
    llvm::StringRef Id = path::filename(D);
    if (Id == Name || D == Name) {
      Hits = {D};
      break;
    }
    if (Id.startswith(Name) && !llvm::is_contained(Hits, D))
      Hits.push_back(D);
  }
  if (Hits.size() > 1)
    return opError(OpErrorKind::BadRequest,
                   "'" + Name + "' names several runs; give its whole id");
  if (Hits.empty() || (!fs::exists(Hits.front() + "/plan.json") &&
                       !llvm::is_contained(Held, Hits.front())))
    return opError(OpErrorKind::NotFound, "no run '" + Name + "'");
  return RunRef{path::filename(Hits.front()).str(), Hits.front(),
                std::nullopt};
}

std::optional<json::Object>
Operations::Impl::finishedEntry(const std::string &RunDir,
                                llvm::StringRef State) {
  fs::file_status St;
  if (fs::status(RunDir + "/events.jsonl", St))
    return std::nullopt;
  int64_t MTime = St.getLastModificationTime().time_since_epoch().count();
  auto It = Reports.find(RunDir);
  if (It == Reports.end() || It->second.Size != St.getSize() ||
      It->second.MTime != MTime) {
    llvm::Expected<runtime::RunReport> Rep = runtime::loadRunReport(RunDir);
    if (!Rep) {
      llvm::consumeError(Rep.takeError());
      return std::nullopt;
    }
    unsigned Done = 0;
    for (const runtime::TaskReport &T : Rep->Tasks)
      Done += T.Status != "pending" && T.Status != "running";
    json::Object E{{"id", path::filename(RunDir).str()},
                   {"run_dir", RunDir},
                   {"workflow", Rep->Workflow},
                   {"state", Rep->Status},
                   {"live", false},
                   {"tasks_done", int64_t(Done)},
                   {"tasks_total", int64_t(Rep->Tasks.size())},
                   {"estimate_usd", Rep->EstimateUsd},
                   {"cost_usd", Rep->ActualUsd.value_or(Rep->EstimateUsd)}};
    It = Reports.insert_or_assign(RunDir, Cached{St.getSize(), MTime,
                                                 std::move(E)})
             .first;
  }
  json::Object E = It->second.Entry;
  if (!State.empty())
    E["state"] = State;
  return E;
}

llvm::Expected<json::Object>
Operations::Impl::startInDaemon(std::vector<std::string> Args,
                                const std::string &RunDir) {
  std::vector<std::string> Env = C.Env;
  if (Env.empty())
    for (char **E = environ; *E; ++E)
      Env.push_back(*E);
  if (C.Daemon) {
    json::Array A, V;
    for (const std::string &S : Args)
      A.push_back(S);
    for (const std::string &S : Env)
      V.push_back(S);
    std::optional<json::Object> Answer =
        C.Daemon->call("start", json::Object{{"args", std::move(A)},
                                             {"cwd", C.ProjectDir},
                                             {"env", std::move(V)},
                                             {"run_dir", RunDir}});
    if (!Answer || !Answer->getBoolean("ok").getValueOr(false))
      return opError(OpErrorKind::Conflict,
                     Answer ? Answer->getString("error")
                                  .getValueOr("the daemon refused")
                                  .str()
                            : "the daemon does not start runs");
    Answer->erase("ok");
    return std::move(*Answer);
  }
  llvm::Expected<json::Object> A =
      runtime::startDetached(C.SelfExe, Args, C.ProjectDir, Env, RunDir);
  if (!A)
    return opError(OpErrorKind::Unavailable, llvm::toString(A.takeError()));
  A->erase("ok");
  A->erase("v");
  return A;
}

llvm::Expected<TaskRef> Operations::Impl::resolveTask(llvm::StringRef Run,
                                                      llvm::StringRef Task) {
  llvm::Expected<RunRef> R = resolve(Run);
  if (!R)
    return R.takeError();
  if (llvm::Error E = checkName("the task", Task))
    return E;
  llvm::Expected<ir::Plan> P = runtime::loadRunPlan(R->RunDir);
  if (!P)
    return opError(OpErrorKind::NotFound, "the run '" + R->Id +
                                              "' has no plan yet: " +
                                              llvm::toString(P.takeError()));
  for (size_t N = 0; N < P->Tasks.size(); ++N)
    if (P->Tasks[N].Id == Task)
      return TaskRef{std::move(*R), std::move(*P), N};
  return opError(OpErrorKind::NotFound,
                 "no task '" + Task + "' in the run '" + R->Id + "'");
}

//===----------------------------------------------------------------------===//
// Operations
//===----------------------------------------------------------------------===//

Operations::Operations(OperationsConfig Config)
    : I(std::make_unique<Impl>()) {
  I->C = std::move(Config);
  llvm::SmallString<256> Project(I->C.ProjectDir);
  if (Project.empty())
    fs::current_path(Project);
  fs::make_absolute(Project);
  llvm::SmallString<256> Real;
  if (!fs::real_path(Project, Real))
    Project = Real;
  I->C.ProjectDir = Project.str().str();
}

Operations::~Operations() = default;

const OperationsConfig &Operations::config() const { return I->C; }

llvm::Expected<json::Object> Operations::listRuns(bool WithProjectRuns) {
  llvm::Expected<std::string> Dir = I->runtimeDir();
  if (!Dir)
    return opError(OpErrorKind::Internal, llvm::toString(Dir.takeError()));
  json::Array All;
  std::set<std::string> Seen;
  // Every live run is asked at once, then each answer read: the list takes
  // as long as the slowest run to answer, not as all of them together.
  std::vector<runtime::RunEntry> Entries = runtime::listRuns(*Dir);
  std::vector<std::optional<runtime::ControlClient>> Asked(Entries.size());
  for (size_t N = 0; N < Entries.size(); ++N) {
    llvm::Expected<runtime::ControlClient> C =
        runtime::ControlClient::connect(controlSocketOf(Entries[N], *Dir));
    if (!C) {
      llvm::consumeError(C.takeError());
      continue;
    }
    if (llvm::Error E = C->send(json::Object{{"op", "status"}}))
      llvm::consumeError(std::move(E));
    else
      Asked[N].emplace(std::move(*C));
  }
  for (size_t N = 0; N < Entries.size(); ++N) {
    const runtime::RunEntry &E = Entries[N];
    llvm::Expected<json::Object> S =
        Asked[N] ? Asked[N]->receive()
                 : opError(OpErrorKind::Unavailable, "no answer");
    if (!S) {
      llvm::consumeError(S.takeError());
      // Its connectorc is gone without removing its entry (killed): the
      // entry goes now, if the process is really gone.
      if (E.Pid > 0 && ::kill(static_cast<pid_t>(E.Pid), 0) != 0) {
        std::string Sock = controlSocketOf(E, *Dir);
        ::unlink(Sock.c_str());
        ::unlink((Sock.substr(0, Sock.size() - 5) + ".json").c_str());
      }
      continue;
    }
    json::Object *R = S->getObject("run");
    if (!R)
      continue;
    (*R)["live"] = true;
    Seen.insert(E.RunDir);
    All.push_back(std::move(*R));
  }
  // The daemon's runs that ended while it ran, from their run directories
  // (their own sockets are gone): "died" when the daemon gave up on one.
  for (const json::Object &O : daemonRuns(I->C.Daemon, *Dir, true)) {
    std::string RunDir = O.getString("run_dir").getValueOr("").str();
    if (!Seen.insert(RunDir).second)
      continue;
    llvm::StringRef State = O.getString("state").getValueOr("");
    if (std::optional<json::Object> E =
            I->finishedEntry(RunDir, State == "died" ? "died" : ""))
      All.push_back(std::move(*E));
  }
  if (WithProjectRuns) {
    std::vector<std::string> Dirs;
    std::error_code EC;
    for (fs::directory_iterator It(I->runsRoot(), EC), End; It != End && !EC;
         It.increment(EC))
      Dirs.push_back(It->path());
    llvm::sort(Dirs);
    for (const std::string &D : Dirs)
      if (!Seen.count(D))
        if (std::optional<json::Object> E = I->finishedEntry(D, ""))
          All.push_back(std::move(*E));
  }
  return json::Object{{"runs", std::move(All)}};
}

llvm::Expected<json::Object> Operations::getRun(llvm::StringRef Run) {
  llvm::Expected<RunRef> R = I->resolve(Run);
  if (!R)
    return R.takeError();
  json::Object RunObj{{"id", R->Id}, {"run_dir", R->RunDir}, {"live", false}};
  json::Array Tasks;
  if (llvm::Expected<runtime::RunReport> Rep =
          runtime::loadRunReport(R->RunDir)) {
    json::Value V = runtime::summaryJson(*Rep);
    if (json::Object *S = V.getAsObject()) {
      if (json::Array *T = S->getArray("tasks"))
        Tasks = std::move(*T);
      S->erase("tasks");
      for (auto &KV : *S)
        RunObj[KV.first] = std::move(KV.second);
    }
  } else {
    // A run the daemon has just started: no plan or journal yet.
    llvm::consumeError(Rep.takeError());
    RunObj["status"] = "starting";
  }
  if (R->Live) {
    llvm::Expected<std::string> Dir = I->runtimeDir();
    llvm::Expected<json::Object> S =
        Dir ? askRun(*R->Live, *Dir, json::Object{{"op", "status"}})
            : Dir.takeError();
    if (S) {
      if (json::Object *LR = S->getObject("run"))
        for (auto &KV : *LR)
          RunObj[KV.first] = std::move(KV.second);
      RunObj["live"] = true;
      // The live fields of each task over the journal's.
      std::map<std::string, json::Object *> ById;
      for (json::Value &T : Tasks)
        if (json::Object *O = T.getAsObject())
          ById[O->getString("id").getValueOr("").str()] = O;
      if (json::Array *LT = S->getArray("tasks"))
        for (json::Value &V : *LT) {
          json::Object *O = V.getAsObject();
          if (!O)
            continue;
          std::string Id = O->getString("id").getValueOr("").str();
          auto It = ById.find(Id);
          if (It == ById.end()) {
            Tasks.push_back(std::move(*O));
            continue;
          }
          for (auto &KV : *O)
            (*It->second)[KV.first] = std::move(KV.second);
        }
    } else {
      llvm::consumeError(S.takeError());
    }
  }
  return json::Object{{"run", std::move(RunObj)}, {"tasks", std::move(Tasks)}};
}

namespace {
/// A spec file of the project, read: its real path and its text.
struct SpecFile {
  std::string Path;
  std::string Text;
};

/// The spec at \p Spec, relative to \p ProjectDir or absolute inside it:
/// Forbidden outside it (after symbolic links), NotFound when unreadable.
llvm::Expected<SpecFile> readProjectSpec(llvm::StringRef Spec,
                                         llvm::StringRef ProjectDir) {
  if (llvm::Error E = checkName("the spec's path", Spec))
    return E;
  llvm::SmallString<256> Abs(Spec);
  fs::make_absolute(ProjectDir, Abs);
  llvm::SmallString<256> Real;
  if (std::error_code EC = fs::real_path(Abs, Real)) {
    path::remove_dots(Abs, true);
    if (!inside(Abs, ProjectDir))
      return opError(OpErrorKind::Forbidden,
                     "'" + Spec + "' is outside the project " + ProjectDir);
    return opError(OpErrorKind::NotFound,
                   "cannot read '" + Spec + "': " + EC.message());
  }
  if (!inside(Real, ProjectDir))
    return opError(OpErrorKind::Forbidden,
                   "'" + Spec + "' is outside the project " + ProjectDir);
  auto Buf = llvm::MemoryBuffer::getFile(Real, /*IsText=*/true);
  if (!Buf || fs::is_directory(Real))
    return opError(OpErrorKind::NotFound, "cannot read '" + Spec + "'");
  if ((*Buf)->getBufferSize() > MaxSpecBytes)
    return opError(OpErrorKind::TooLarge,
                   fmt::format("the spec is over {} bytes", MaxSpecBytes));
  return SpecFile{Real.str().str(), (*Buf)->getBuffer().str()};
}
} // namespace

llvm::Expected<json::Object> Operations::startRun(const StartRequest &Req) {
  if (Req.SpecPath.empty() == Req.SpecText.empty())
    return opError(OpErrorKind::BadRequest,
                   "give either a spec's path in the project or its text");
  if (Req.SpecText.size() > MaxSpecBytes)
    return opError(OpErrorKind::TooLarge,
                   fmt::format("the spec is over {} bytes", MaxSpecBytes));
  if (Req.Jobs > 10000)
    return opError(OpErrorKind::BadRequest, "jobs is over 10000");
  if (!Req.Timeout.empty() && !ir::parseDuration(Req.Timeout))
    return opError(OpErrorKind::BadRequest,
                   "timeout wants a duration such as 90s, 20m or 2h; got '" +
                       Req.Timeout + "'");
  std::string File, Text;
  if (!Req.SpecPath.empty()) {
    llvm::Expected<SpecFile> F = readProjectSpec(Req.SpecPath, I->C.ProjectDir);
    if (!F)
      return F.takeError();
    File = std::move(F->Path);
    Text = std::move(F->Text);
  } else {
    if (llvm::Error E = checkName("the spec's name", Req.SpecName))
      return E;
    // Kept in the project, where the run can read it (and a relative team
    // path is the project's).
    std::string Dir = I->C.ProjectDir + "/.connector/posted";
    if (llvm::Error E = runtime::hideFromGit(Dir))
      return opError(OpErrorKind::Internal, llvm::toString(std::move(E)));
    if (std::error_code EC = fs::create_directories(Dir))
      return opError(OpErrorKind::Internal,
                     "cannot create " + Dir + ": " + EC.message());
    llvm::StringRef Stem = path::filename(Req.SpecName);
    Stem.consume_back(".json");
    Stem.consume_back(".connector");
    File = fmt::format("{}/{}-{:016x}.connector.json", Dir, Stem.str(),
                       llvm::xxHash64(Req.SpecText));
    Text = Req.SpecText;
  }
  // Compiled here first: its problems are the client's answer.
  llvm::Expected<CompiledSpec> Out =
      I->compile(Text, File, Req.Simulate, CompileMode::Build);
  if (!Out)
    return Out.takeError();
  if (!Out->Plan)
    return llvm::make_error<OpError>(OpErrorKind::Invalid,
                                     "the spec has errors",
                                     std::move(Out->Diagnostics));
  llvm::SmallString<256> Cwd;
  fs::current_path(Cwd);
  llvm::SmallString<256> RealCwd;
  if (!fs::real_path(Cwd, RealCwd))
    Cwd = RealCwd;
  if (Cwd != I->C.ProjectDir)
    return opError(OpErrorKind::Internal,
                   "runs start in the current directory, which is not the "
                   "project " +
                       I->C.ProjectDir);
  if (!Req.SpecText.empty())
    if (llvm::Error E = runtime::writeFileAtomic(File, Text))
      return opError(OpErrorKind::Internal, llvm::toString(std::move(E)));
  llvm::Expected<std::string> RunDir = runtime::newRunDir(*Out->Plan, "");
  if (!RunDir)
    return opError(OpErrorKind::Internal, llvm::toString(RunDir.takeError()));
  std::vector<std::string> Args{"run", File, "--run-dir", *RunDir, "--quiet"};
  if (Req.Simulate)
    Args.push_back("--simulate");
  if (Req.Jobs)
    Args.insert(Args.end(), {"--jobs", std::to_string(Req.Jobs)});
  if (!Req.Timeout.empty())
    Args.insert(Args.end(), {"--timeout", Req.Timeout});
  if (!I->C.ProvidersFile.empty())
    Args.insert(Args.end(), {"--providers", I->C.ProvidersFile});
  return I->startInDaemon(std::move(Args), *RunDir);
}

llvm::Expected<json::Object> Operations::stopRun(llvm::StringRef Run,
                                                 llvm::StringRef Task) {
  llvm::Expected<RunRef> R = I->resolve(Run);
  if (!R)
    return R.takeError();
  if (!R->Live)
    return opError(OpErrorKind::Conflict, "the run '" + R->Id + "' is over");
  if (!Task.empty())
    if (llvm::Error E = checkName("the task", Task))
      return E;
  llvm::Expected<std::string> Dir = I->runtimeDir();
  if (!Dir)
    return opError(OpErrorKind::Internal, llvm::toString(Dir.takeError()));
  llvm::Expected<json::Object> A =
      askRun(*R->Live, *Dir, json::Object{{"op", "stop"}, {"task", Task}});
  if (!A)
    return fromControl(A.takeError());
  return json::Object{
      {"id", R->Id}, {"task", Task.str()}, {"stopping", true}};
}

llvm::Expected<json::Object> Operations::resumeRun(llvm::StringRef Run) {
  llvm::Expected<RunRef> R = I->resolve(Run);
  if (!R)
    return R.takeError();
  if (R->Live)
    return opError(OpErrorKind::Conflict,
                   "the run '" + R->Id + "' is going on");
  llvm::Expected<runtime::RunReport> Rep = runtime::loadRunReport(R->RunDir);
  if (!Rep)
    return opError(OpErrorKind::Conflict, "the run '" + R->Id +
                                              "' cannot be continued: " +
                                              llvm::toString(Rep.takeError()));
  if (Rep->Status == "succeeded")
    return opError(OpErrorKind::Conflict,
                   "the run '" + R->Id + "' succeeded: nothing to continue");
  return I->startInDaemon(
      {"run", "--resume", "--run-dir", R->RunDir, "--quiet"}, R->RunDir);
}

llvm::Expected<json::Object> Operations::taskAnswer(llvm::StringRef Run,
                                                    llvm::StringRef Task) {
  llvm::Expected<TaskRef> TR = I->resolveTask(Run, Task);
  if (!TR)
    return TR.takeError();
  const RunRef *R = &TR->Run;
  std::string Path = (R->RunDir + "/sessions/" + Task + "/output.md").str();
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/true);
  if (!Buf)
    return opError(OpErrorKind::NotFound,
                   "task '" + Task + "' has no answer yet");
  return json::Object{{"task", Task.str()},
                      {"answer", utf8((*Buf)->getBuffer().str())}};
}

llvm::Expected<json::Object> Operations::transcript(llvm::StringRef Run,
                                                    llvm::StringRef Task,
                                                    bool Raw,
                                                    size_t MaxBytes) {
  llvm::Expected<TaskRef> TR = I->resolveTask(Run, Task);
  if (!TR)
    return TR.takeError();
  const RunRef *R = &TR->Run;
  std::string Path =
      (R->RunDir + "/sessions/" + Task + "/transcript.log").str();
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!Buf)
    return opError(OpErrorKind::NotFound, "task '" + Task +
                                              "' has no transcript yet (not "
                                              "started)");
  llvm::StringRef All = (*Buf)->getBuffer();
  MaxBytes = std::min<size_t>(MaxBytes ? MaxBytes : DefaultTranscriptBytes,
                              16 << 20);
  llvm::StringRef Tail = All.take_back(MaxBytes);
  json::Object O{{"task", Task.str()},
                 {"bytes", int64_t(All.size())},
                 {"truncated", Tail.size() < All.size()}};
  if (Raw)
    O["base64"] = llvm::encodeBase64(Tail);
  else
    O["text"] = utf8(runtime::stripAnsi(Tail));
  return O;
}

namespace {
/// Runs git with \p Args; its standard output, at most \p Max bytes.
llvm::Expected<std::string> git(llvm::ArrayRef<std::string> Args,
                                size_t Max, bool &Truncated) {
  llvm::ErrorOr<std::string> Git = llvm::sys::findProgramByName("git");
  if (!Git)
    return opError(OpErrorKind::Unavailable, "git is not on PATH");
  llvm::SmallString<128> Out, Err;
  if (fs::createTemporaryFile("connectorc-diff", "out", Out) ||
      fs::createTemporaryFile("connectorc-diff", "err", Err))
    return opError(OpErrorKind::Internal, "cannot make a temporary file");
  std::vector<llvm::StringRef> Argv{*Git};
  for (const std::string &A : Args)
    Argv.push_back(A);
  llvm::Optional<llvm::StringRef> Redirects[] = {llvm::StringRef("/dev/null"),
                                                 llvm::StringRef(Out),
                                                 llvm::StringRef(Err)};
  std::string Failed;
  int Status = llvm::sys::ExecuteAndWait(*Git, Argv, llvm::None, Redirects,
                                         /*SecondsToWait=*/60, 0, &Failed);
  auto Text = llvm::MemoryBuffer::getFile(Out, false, false);
  auto ErrText = llvm::MemoryBuffer::getFile(Err, false, false);
  fs::remove(Out);
  fs::remove(Err);
  if (Status != 0)
    return opError(OpErrorKind::Internal,
                   "git " + llvm::join(Args, " ") + " failed: " +
                       (ErrText ? (*ErrText)->getBuffer().trim().str()
                                : Failed));
  llvm::StringRef S = Text ? (*Text)->getBuffer() : "";
  Truncated = S.size() > Max;
  return S.take_front(Max).str();
}
} // namespace

llvm::Expected<json::Object> Operations::worktreeDiff(llvm::StringRef Run,
                                                      llvm::StringRef Task) {
  llvm::Expected<TaskRef> TR = I->resolveTask(Run, Task);
  if (!TR)
    return TR.takeError();
  const RunRef *R = &TR->Run;
  const ir::Task *T = &TR->task();
  if (T->Session.Worktree.empty())
    return opError(OpErrorKind::NotFound,
                   "task '" + Task + "' works in no worktree");
  llvm::Expected<std::vector<json::Object>> Events =
      runtime::readJournal(R->RunDir + "/events.jsonl");
  if (!Events)
    return opError(OpErrorKind::NotFound, llvm::toString(Events.takeError()));
  const json::Object *WT = nullptr;
  for (const json::Object &E : *Events) {
    llvm::StringRef Kind = runtime::eventString(E, "event");
    if ((Kind == "worktree-add" || Kind == "worktree-reuse") &&
        runtime::eventString(E, "name") == T->Session.Worktree)
      WT = &E;
  }
  if (!WT)
    return opError(OpErrorKind::NotFound, "the worktree '" +
                                              T->Session.Worktree +
                                              "' was not made yet");
  std::string Path = runtime::eventString(*WT, "path").str();
  std::string Base = runtime::eventString(*WT, "base").str();
  std::string Branch = runtime::eventString(*WT, "branch").str();
  constexpr size_t MaxDiff = 8 << 20;
  bool Truncated = false;
  // While the worktree is there: what it holds now against its base; after
  // (removed at the run's end), its branch against the base.
  llvm::Expected<std::string> Diff =
      fs::is_directory(Path)
          ? git({"-C", Path, "diff", "--no-color", "--no-ext-diff", Base},
                MaxDiff, Truncated)
          : git({"-C", I->C.ProjectDir, "diff", "--no-color", "--no-ext-diff",
                 Base, Branch, "--"},
                MaxDiff, Truncated);
  if (!Diff)
    return Diff.takeError();
  return json::Object{{"task", Task.str()},
                      {"worktree", T->Session.Worktree},
                      {"path", Path},
                      {"branch", Branch},
                      {"base", Base},
                      {"truncated", Truncated},
                      {"diff", utf8(std::move(*Diff))}};
}

llvm::Expected<json::Object> Operations::sendText(llvm::StringRef Run,
                                                  llvm::StringRef Task,
                                                  llvm::StringRef Text,
                                                  bool Enter) {
  if (Text.size() > MaxTextBytes)
    return opError(OpErrorKind::TooLarge,
                   fmt::format("the text is over {} bytes", MaxTextBytes));
  llvm::Expected<RunRef> R = I->resolve(Run);
  if (!R)
    return R.takeError();
  if (!Task.empty())
    if (llvm::Error E = checkName("the task", Task))
      return E;
  if (!R->Live)
    return opError(OpErrorKind::Conflict, "the run '" + R->Id + "' is over");
  llvm::Expected<std::string> Dir = I->runtimeDir();
  if (!Dir)
    return opError(OpErrorKind::Internal, llvm::toString(Dir.takeError()));
  llvm::Expected<json::Object> A =
      askRun(*R->Live, *Dir,
             json::Object{{"op", "send"},
                          {"task", Task},
                          {"text", utf8(Text.str())},
                          {"enter", Enter}});
  if (!A)
    return fromControl(A.takeError());
  // Strings copied: a StringRef in a json::Value is not (the answer goes).
  return json::Object{{"id", R->Id},
                      {"task", A->getString("task").getValueOr(Task).str()}};
}

llvm::Expected<json::Object>
Operations::mailSend(llvm::StringRef Run, llvm::StringRef From,
                     llvm::StringRef To, llvm::StringRef Subject,
                     llvm::StringRef Body) {
  if (Body.size() > MaxTextBytes)
    return opError(OpErrorKind::TooLarge,
                   fmt::format("the body is over {} bytes", MaxTextBytes));
  llvm::Expected<RunRef> R = I->resolve(Run);
  if (!R)
    return R.takeError();
  std::string Root = R->RunDir + "/mail";
  std::vector<std::string> Known = runtime::listMailboxes(Root);
  if (Known.empty())
    return opError(OpErrorKind::NotFound,
                   "the run '" + R->Id + "' has no mailboxes");
  if (std::string Why = runtime::checkMailboxName(From); !Why.empty())
    return opError(OpErrorKind::BadRequest, "from: " + Why);
  if (To.empty())
    return opError(OpErrorKind::BadRequest, "to is missing (a mailbox, or "
                                            "'all')");
  if (To != "all" && !llvm::is_contained(Known, To))
    return opError(OpErrorKind::NotFound,
                   "no mailbox '" + To + "' in the run (mailboxes: " +
                       llvm::join(Known, ", ") + ")");
  std::vector<std::string> Names = runtime::recipients(Root, From, To);
  if (Names.empty())
    return opError(OpErrorKind::NotFound, "no other mailbox in the run");
  runtime::MailMessage M{From.str(), Names.front(), Subject.str(),
                         runtime::SystemClock().utcStamp(), Body.str()};
  // A bad subject is the client's to fix, before any delivery.
  if (llvm::Expected<std::string> Text = runtime::formatMessage(M); !Text)
    return opError(OpErrorKind::BadRequest, llvm::toString(Text.takeError()));
  json::Array Delivered;
  for (const std::string &Name : Names) {
    M.To = Name;
    llvm::Expected<std::string> Path = runtime::deliver(Root, M);
    if (!Path)
      return opError(OpErrorKind::Internal, llvm::toString(Path.takeError()));
    Delivered.push_back(Name);
  }
  return json::Object{{"delivered", std::move(Delivered)}};
}

llvm::Expected<json::Object> Operations::mailList(llvm::StringRef Run,
                                                  llvm::StringRef Mailbox) {
  llvm::Expected<RunRef> R = I->resolve(Run);
  if (!R)
    return R.takeError();
  std::string Root = R->RunDir + "/mail";
  std::vector<std::string> Known = runtime::listMailboxes(Root);
  if (!Mailbox.empty() && !llvm::is_contained(Known, Mailbox))
    return opError(OpErrorKind::NotFound,
                   "no mailbox '" + Mailbox + "' in the run '" + R->Id + "'");
  json::Array Boxes;
  for (const std::string &Name : Known) {
    if (!Mailbox.empty() && Name != Mailbox)
      continue;
    llvm::Expected<std::vector<runtime::MailEntry>> All =
        runtime::listMail(Root, Name);
    if (!All)
      return opError(OpErrorKind::Internal, llvm::toString(All.takeError()));
    json::Array Messages;
    for (const runtime::MailEntry &E : *All) {
      const runtime::MailMessage &M = E.Message;
      json::Object O{{"name", E.Name}, {"seen", E.Seen}};
      if (!E.Error.empty()) {
        O["error"] = utf8(E.Error);
      } else {
        O["from"] = utf8(M.From);
        O["to"] = utf8(M.To);
        O["subject"] = utf8(M.Subject);
        O["date"] = utf8(M.Date);
        O["body"] = utf8(M.Body);
      }
      Messages.push_back(std::move(O));
    }
    Boxes.push_back(
        json::Object{{"name", Name}, {"messages", std::move(Messages)}});
  }
  return json::Object{{"mailboxes", std::move(Boxes)}};
}


llvm::Expected<json::Object> Operations::compileSpec(const SpecRequest &R,
                                                     CompileMode Mode) {
  std::string File, Text;
  if (!R.Path.empty()) {
    llvm::Expected<SpecFile> F = readProjectSpec(R.Path, I->C.ProjectDir);
    if (!F)
      return F.takeError();
    File = std::move(F->Path);
    Text = std::move(F->Text);
  } else {
    if (R.Text.size() > MaxSpecBytes)
      return opError(OpErrorKind::TooLarge,
                     fmt::format("the spec is over {} bytes", MaxSpecBytes));
    if (R.Text.empty())
      return opError(OpErrorKind::BadRequest, "the spec is empty");
    if (llvm::Error E = checkName("the spec's name", R.Name))
      return E;
    File = I->C.ProjectDir + "/" + path::filename(R.Name).str();
    Text = R.Text;
  }
  llvm::Expected<CompiledSpec> Out = I->compile(Text, File, R.Simulate, Mode);
  if (!Out)
    return Out.takeError();
  json::Object O{{"ok", Out->Ok},
                 {"diagnostics", std::move(Out->Diagnostics)}};
  if (Out->Plan && Mode == CompileMode::Build) {
    std::string Text;
    llvm::raw_string_ostream OS(Text);
    ir::writePlanJson(OS, *Out->Plan);
    OS.flush();
    llvm::Expected<json::Value> V = json::parse(Text);
    if (!V)
      return opError(OpErrorKind::Internal, llvm::toString(V.takeError()));
    O["plan"] = std::move(*V);
  }
  if (Out->Plan && Mode == CompileMode::Explain)
    O["text"] = utf8(std::move(Out->Explanation));
  return O;
}

llvm::Expected<json::Object> Operations::lint(const SpecRequest &R) {
  return compileSpec(R, CompileMode::Lint);
}

llvm::Expected<json::Object> Operations::build(const SpecRequest &R) {
  return compileSpec(R, CompileMode::Build);
}

llvm::Expected<json::Object> Operations::explain(const SpecRequest &R) {
  return compileSpec(R, CompileMode::Explain);
}

llvm::Expected<std::string> Operations::controlSocket(llvm::StringRef Run) {
  llvm::Expected<RunRef> R = I->resolve(Run);
  if (!R)
    return R.takeError();
  if (!R->Live)
    return opError(OpErrorKind::Conflict, "the run '" + R->Id + "' is over");
  llvm::Expected<std::string> Dir = I->runtimeDir();
  if (!Dir)
    return opError(OpErrorKind::Internal, llvm::toString(Dir.takeError()));
  return controlSocketOf(*R->Live, *Dir);
}

llvm::Expected<Operations::Attached>
Operations::attach(llvm::StringRef Run, llvm::StringRef Task, bool Write,
                   unsigned Rows, unsigned Cols) {
  if (!Task.empty())
    if (llvm::Error E = checkName("the task", Task))
      return E;
  llvm::Expected<std::string> Socket = controlSocket(Run);
  if (!Socket)
    return Socket.takeError();
  llvm::Expected<runtime::ControlClient> C =
      runtime::ControlClient::connect(*Socket);
  if (!C) {
    // Nothing listens on its socket (gone, or refused): the run ended
    // between the look and the call.
    llvm::consumeError(C.takeError());
    return opError(OpErrorKind::Conflict, "the run '" + Run + "' is over");
  }
  json::Object Req{{"op", "attach"}, {"task", Task.str()}, {"write", Write}};
  if (Rows && Cols) {
    Req["rows"] = int64_t(Rows);
    Req["cols"] = int64_t(Cols);
  }
  llvm::Expected<json::Object> A = C->call(std::move(Req));
  if (!A)
    return fromControl(A.takeError());
  Attached Out;
  Out.Fd = ::dup(C->fd());
  if (Out.Fd < 0)
    return opError(OpErrorKind::Internal, "cannot keep the connection");
  ::fcntl(Out.Fd, F_SETFD, FD_CLOEXEC);
  Out.Rest = C->takeRest();
  Out.Task = A->getString("task").getValueOr(Task).str();
  Out.Write = A->getBoolean("write").getValueOr(Write);
  Out.Rows = static_cast<unsigned>(A->getInteger("rows").getValueOr(0));
  Out.Cols = static_cast<unsigned>(A->getInteger("cols").getValueOr(0));
  return Out;
}

llvm::Expected<std::string> Operations::runDir(llvm::StringRef Run) {
  llvm::Expected<RunRef> R = I->resolve(Run);
  if (!R)
    return R.takeError();
  return R->RunDir;
}
