//===- SimAgent.cpp - the offline, deterministic agent --------------------===//
#include "runtime/executor/SimAgent.h"
#include "runtime/support/Clock.h"
#include "runtime/executor/Mailbox.h"

#include "fmt/format.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SHA256.h"

#include <cerrno>
#include <csignal>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
using llvm::StringRef;

namespace {
struct FailureEntry {
  StringRef Provider;
  SimFailKind Kind;
  bool ToStderr;
  int ExitCode;
  StringRef Message;
};

#define SIM_FAILURE(PROVIDER, KIND, TO_STDERR, EXIT_CODE, MESSAGE)             \
  {PROVIDER, SimFailKind::KIND, TO_STDERR, EXIT_CODE, MESSAGE},
const FailureEntry FailureTable[] = {
#include "runtime/executor/SimFailures.def"
};

/// The sim's own messages, matched by the `sim` provider's registry rules.
const FailureEntry OwnFailures[] = {
    {"sim", SimFailKind::Unavailable, true, 1,
     "sim: unavailable (simulated: the service cannot be reached)\n"},
    {"sim", SimFailKind::RateLimited, true, 1,
     "sim: rate limited (simulated); try again in 30s\n"},
    {"sim", SimFailKind::Overloaded, true, 1,
     "sim: overloaded (simulated); try again in 10s\n"},
    {"sim", SimFailKind::Auth, true, 1,
     "sim: auth failed (simulated: invalid credentials)\n"},
    {"sim", SimFailKind::Context, true, 1,
     "sim: context length exceeded (simulated)\n"},
};
} // namespace

std::optional<SimFailKind> runtime::parseSimFailKind(StringRef Name) {
  return llvm::StringSwitch<std::optional<SimFailKind>>(Name)
      .Case("", SimFailKind::None)
      .Case("unavailable", SimFailKind::Unavailable)
      .Cases("rate-limit", "rate-limited", SimFailKind::RateLimited)
      .Case("overloaded", SimFailKind::Overloaded)
      .Case("auth", SimFailKind::Auth)
      .Case("context", SimFailKind::Context)
      .Case("crash", SimFailKind::Crash)
      .Case("hang", SimFailKind::Hang)
      .Case("empty", SimFailKind::Empty)
      .Default(std::nullopt);
}

StringRef runtime::simFailKindNames() {
  return "unavailable, rate-limit, overloaded, auth, context, crash, hang, "
         "empty";
}

std::string runtime::simProviderOf(StringRef BindingId) {
  StringRef Provider = BindingId.split('/').first;
  return Provider.rsplit(':').second.empty()
             ? Provider.str()
             : Provider.rsplit(':').second.str();
}

std::vector<StringRef> runtime::simImitatedProviders() {
  std::vector<StringRef> Out;
  for (const FailureEntry &E : FailureTable)
    if (!llvm::is_contained(Out, E.Provider))
      Out.push_back(E.Provider);
  return Out;
}

SimFailure runtime::simFailure(StringRef Provider, SimFailKind Kind) {
  for (const FailureEntry &E : FailureTable)
    if (E.Provider == Provider && E.Kind == Kind)
      return {E.Message, E.ToStderr, E.ExitCode};
  for (const FailureEntry &E : OwnFailures)
    if (E.Kind == Kind)
      return {E.Message, E.ToStderr, E.ExitCode};
  return {"sim: no such failure\n", true, 2};
}

llvm::Expected<std::string> runtime::readSimPrompt(int FD) {
  std::string Prompt;
  char Buf[16384];
  for (;;) {
    ssize_t N = ::read(FD, Buf, sizeof Buf);
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0)
      return llvm::errorCodeToError(
          std::error_code(errno, std::generic_category()));
    StringRef Chunk(Buf, static_cast<size_t>(N));
    size_t EndOfText = Chunk.find('\x04');
    Prompt += Chunk.take_front(EndOfText).str();
    if (N == 0 || EndOfText != StringRef::npos)
      return Prompt;
  }
}

static std::string env(const char *Name) {
  return llvm::sys::Process::GetEnv(Name).getValueOr("");
}

SimRequest runtime::simRequestFromEnvironment(StringRef Model,
                                              std::string Prompt) {
  SimRequest R;
  if (!Model.empty())
    R.Model = Model.str();
  R.StandsFor = env("CONNECTOR_SIM_AS");
  if (R.StandsFor.empty())
    R.StandsFor = "sim/" + R.Model;
  R.Task = env("CONNECTOR_TASK");
  R.RunDir = env("CONNECTOR_RUN_DIR");
  R.Fail = env("CONNECTOR_SIM_FAIL");
  R.Until = env("CONNECTOR_UNTIL");
  R.Output = env("CONNECTOR_OUTPUT");
  R.MailDir = env("CONNECTOR_MAIL_DIR");
  R.MailName = env("CONNECTOR_MAIL_NAME");
  std::string Inputs = env("CONNECTOR_INPUTS");
  llvm::SmallVector<StringRef, 8> Parts;
  StringRef(Inputs).split(Parts, ':', -1, false);
  for (StringRef P : Parts)
    R.Inputs.push_back(P.str());
  R.Prompt = std::move(Prompt);
  return R;
}

static std::string sha256(StringRef Data) {
  return llvm::toHex(llvm::SHA256::hash(llvm::arrayRefFromStringRef(Data)),
                     /*LowerCase=*/true);
}

/// \p Path relative to the run directory when it lies inside it.
static std::string shownPath(StringRef Path, StringRef RunDir) {
  llvm::SmallString<256> P(Path);
  if (!RunDir.empty() && llvm::sys::path::replace_path_prefix(P, RunDir, ""))
    return llvm::sys::path::relative_path(P).str();
  return Path.str();
}

static void listInputs(const SimRequest &R, llvm::raw_ostream &OS) {
  OS << "## Inputs (" << R.Inputs.size() << ")\n\n";
  if (R.Inputs.empty()) {
    OS << "None.\n\n";
    return;
  }
  OS << "| file | bytes | sha256 |\n|---|---|---|\n";
  for (const std::string &In : R.Inputs) {
    auto Buf = llvm::MemoryBuffer::getFile(In, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    OS << "| " << shownPath(In, R.RunDir) << " | ";
    if (Buf)
      OS << (*Buf)->getBufferSize() << " | " << sha256((*Buf)->getBuffer());
    else
      OS << "- | unreadable: " << Buf.getError().message();
    OS << " |\n";
  }
  OS << "\n";
}

static void quotePrompt(StringRef Prompt, StringRef Until,
                        llvm::raw_ostream &OS) {
  OS << "## Prompt (" << Prompt.size() << " bytes, sha256 "
     << sha256(Prompt).substr(0, 16) << ")\n\n";
  std::string Shown = Prompt.rtrim("\n").str();
  if (!Until.empty())
    for (size_t At = Shown.find(Until); At != std::string::npos;
         At = Shown.find(Until, At + 7))
      Shown.replace(At, Until.size(), "[until]");
  llvm::SmallVector<StringRef, 16> Lines;
  StringRef(Shown).split(Lines, '\n');
  for (StringRef L : Lines)
    OS << (L.empty() ? ">" : "> " + L.str()) << "\n";
  OS << "\n";
}

std::string runtime::simAnswer(const SimRequest &R) {
  std::string Text;
  llvm::raw_string_ostream OS(Text);
  auto [Phase, Worker] = StringRef(R.Task).rsplit('/');
  OS << "# Simulated answer\n\n"
     << "- model: " << R.StandsFor << " (simulated by sim/" << R.Model << ")\n"
     << "- phase: " << (Phase.empty() ? "-" : Phase) << "\n"
     << "- worker: " << (Worker.empty() ? "-" : Worker) << "\n\n";
  quotePrompt(R.Prompt, R.Until, OS);
  listInputs(R, OS);
  OS << "## Answer\n\n"
     << "This is the offline sim agent: no model was asked. It read the "
        "prompt above and "
     << R.Inputs.size() << (R.Inputs.size() == 1 ? " input" : " inputs")
     << "; a real model standing for " << R.StandsFor
     << " would answer here.\n";
  // Earlier turns are the inputs beside its own answer (a dialogue's first
  // turn may read a record of an earlier phase too).
  auto IsTurn = [&](const std::string &In) {
    return llvm::sys::path::parent_path(In) ==
           llvm::sys::path::parent_path(R.Output);
  };
  if (!R.Until.empty() && llvm::count_if(R.Inputs, IsTurn) >= 2)
    OS << "\nHaving read the earlier turns, it accepts the design on the "
          "table: "
       << R.Until << "\n";
  return Text;
}

/// Opens (and closes) a TCP connection to "HOST:PORT" (an IPv4 address).
static std::error_code connectTcp(StringRef HostPort) {
  auto [Host, Port] = HostPort.rsplit(':');
  unsigned PortNumber = 0;
  sockaddr_in Addr{};
  Addr.sin_family = AF_INET;
  if (Port.getAsInteger(10, PortNumber) || PortNumber > 65535 ||
      inet_pton(AF_INET, Host.str().c_str(), &Addr.sin_addr) != 1)
    return std::make_error_code(std::errc::invalid_argument);
  Addr.sin_port = htons(static_cast<uint16_t>(PortNumber));
  int FD = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (FD < 0)
    return std::error_code(errno, std::generic_category());
  int RC = ::connect(FD, reinterpret_cast<sockaddr *>(&Addr), sizeof Addr);
  std::error_code EC =
      RC == 0 ? std::error_code() : std::error_code(errno, std::generic_category());
  ::close(FD);
  return EC;
}

/// Runs `connectorc run --simulate SPEC` as an agent starting a sub-team
/// does: in this session (its terminal, its environment, so the child finds
/// its parent run), waiting for it. An error when it does not succeed.
static std::error_code runTeam(StringRef Spec) {
  static char Anchor;
  std::string Self = llvm::sys::fs::getMainExecutable("connectorc", &Anchor);
  std::string SpecArg = Spec.str();
  llvm::SmallVector<StringRef, 4> Argv = {Self, "run", "--simulate", SpecArg};
  std::string Err;
  int RC = llvm::sys::ExecuteAndWait(Self, Argv, llvm::None, {}, 0, 0, &Err);
  if (RC == 0)
    return {};
  llvm::errs() << "sim: the sub-team " << Spec << " ended with status " << RC
               << (Err.empty() ? "" : ": " + Err) << "\n";
  return std::make_error_code(RC == 130 ? std::errc::interrupted
                                        : std::errc::io_error);
}

std::string runtime::simActions(StringRef Prompt) {
  std::string Out;
  llvm::SmallVector<StringRef, 16> Lines;
  Prompt.split(Lines, '\n');
  for (StringRef L : Lines) {
    if (!L.consume_front("@sim "))
      continue;
    auto [Verb, Rest] = L.split(' ');
    auto [First, Second] = Rest.split(' ');
    std::error_code EC;
    if (Verb == "write") {
      llvm::raw_fd_ostream F(First, EC);
      if (!EC) {
        F << Second << '\n';
        F.close();
        EC = F.error();
        F.clear_error();
      }
    } else if (Verb == "symlink") { // @sim symlink TARGET LINK
      llvm::sys::fs::remove(Second);
      EC = llvm::sys::fs::create_link(First, Second);
    } else if (Verb == "connect") { // @sim connect HOST:PORT
      EC = connectTcp(First);
    } else if (Verb == "team") { // @sim team SPEC: a sub-team, run here
      EC = runTeam(First);
    } else {
      continue;
    }
    if (Out.empty())
      Out = "## Actions\n\n";
    // What was acted on: a write's path (not its text), else the arguments.
    Out += "- " + Verb.str() + " " + (Verb == "write" ? First : Rest).str() +
           ": " +
           (EC ? "failed: " + EC.message() : std::string("ok")) + "\n";
  }
  return Out;
}

/// "N message(s)" and, when there are any, ": " and \p Names joined.
static std::string countedNames(const std::vector<std::string> &Names,
                                StringRef Preposition) {
  std::string Out = std::to_string(Names.size()) +
                    (Names.size() == 1 ? " message" : " messages");
  if (!Names.empty())
    Out += " " + Preposition.str() + " " + llvm::join(Names, ", ");
  return Out;
}

std::string runtime::simMail(const SimRequest &R) {
  if (R.MailDir.empty() || R.MailName.empty())
    return "";
  std::vector<std::string> Sent, Failed, From;
  MailMessage M{
      R.MailName, "", "hello from " + R.MailName, SystemClock().utcStamp(),
      R.MailName + " (" + (R.Task.empty() ? "-" : R.Task) + ") says hello.\n"};
  for (const std::string &To : recipients(R.MailDir, R.MailName, "all")) {
    M.To = To;
    if (llvm::Expected<std::string> Path = deliver(R.MailDir, M))
      Sent.push_back(To);
    else
      Failed.push_back(To + " (" + llvm::toString(Path.takeError()) + ")");
  }
  llvm::Expected<std::vector<MailEntry>> Got =
      readNewMail(R.MailDir, R.MailName);
  if (Got)
    for (const MailEntry &E : *Got)
      From.push_back(E.Error.empty() ? E.Message.From : "(not a message)");
  std::string Out = "## Mail\n\n- sent " + countedNames(Sent, "to") + "\n";
  if (!Failed.empty())
    Out += "- not sent: " + llvm::join(Failed, "; ") + "\n";
  if (Got)
    Out += "- read " + countedNames(From, "from") + "\n";
  else
    Out += "- read failed: " + llvm::toString(Got.takeError()) + "\n";
  return Out;
}

/// Dies the way a crashing CLI does: by SIGABRT, with the default action
/// (LLVM's handler would print a stack trace) and no core file.
[[noreturn]] static void crash(llvm::raw_ostream &Err) {
  Err << "sim: simulated crash (abort)\n";
  Err.flush();
  struct rlimit NoCore = {0, 0};
  setrlimit(RLIMIT_CORE, &NoCore);
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
  _exit(134);
}

/// Waits without using the CPU until a signal ends the process.
[[noreturn]] static void hang(llvm::raw_ostream &Err) {
  Err << "sim: simulated hang; waiting to be killed\n";
  Err.flush();
  for (;;)
    pause();
}

std::string runtime::simReply(const SimRequest &R) {
  // Mail goes out before the answer, as an agent's would.
  std::string Mail = simMail(R);
  std::string Out = simAnswer(R);
  if (!Mail.empty())
    Out += "\n" + Mail;
  if (std::string Actions = simActions(R.Prompt); !Actions.empty())
    Out += "\n" + Actions;
  return Out;
}

namespace {
/// Appends one JSON line to the interactive sim's transcript.
void appendRecord(llvm::StringRef Path, llvm::json::Object Record) {
  if (Path.empty())
    return;
  std::string Line;
  llvm::raw_string_ostream OS(Line);
  OS << llvm::json::Value(std::move(Record)) << "\n";
  OS.flush();
  int FD = ::open(std::string(Path).c_str(),
                  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (FD < 0)
    return; // the answer still shows on the screen
  (void)!::write(FD, Line.data(), Line.size());
  ::close(FD);
}

/// Writes \p S to the terminal.
void say(llvm::StringRef S) {
  while (!S.empty()) {
    ssize_t N = ::write(1, S.data(), S.size());
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return;
    S = S.drop_front(static_cast<size_t>(N));
  }
}

/// One key or paste from the terminal: false at end of input.
bool readKeys(std::string &Buf) {
  char C[4096];
  for (;;) {
    ssize_t N = ::read(0, C, sizeof C);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return false;
    Buf.append(C, static_cast<size_t>(N));
    return true;
  }
}
} // namespace

/// How many prompts \p Transcript holds (its "user" records).
static unsigned earlierPrompts(llvm::StringRef Transcript) {
  auto Buf = llvm::MemoryBuffer::getFile(Transcript);
  if (!Buf)
    return 0;
  unsigned N = 0;
  llvm::SmallVector<llvm::StringRef, 16> Lines;
  (*Buf)->getBuffer().split(Lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef L : Lines)
    if (llvm::Expected<llvm::json::Value> V = llvm::json::parse(L)) {
      if (const llvm::json::Object *O = V->getAsObject())
        N += O->getString("type") == llvm::StringRef("user");
    } else {
      llvm::consumeError(V.takeError());
    }
  return N;
}

int runtime::runSimInteractive(SimRequest R, llvm::StringRef Transcript,
                               bool Resumed) {
  unsigned Earlier = Resumed ? earlierPrompts(Transcript) : 0;
  struct termios Old;
  bool Tty = ::tcgetattr(0, &Old) == 0;
  if (Tty) {
    struct termios Raw = Old;
    ::cfmakeraw(&Raw);
    Raw.c_oflag |= OPOST | ONLCR; // "\n" still starts a line
    ::tcsetattr(0, TCSANOW, &Raw);
  }
  auto Restore = llvm::make_scope_exit([&] {
    say("\x1b[?2004l");
    if (Tty)
      ::tcsetattr(0, TCSANOW, &Old);
  });
  if (!Transcript.empty())
    (void)llvm::sys::fs::create_directories(
        llvm::sys::path::parent_path(Transcript));
  say("\x1b[?2004h"); // bracketed paste: a pasted prompt is one prompt
  say(fmt::format("sim {} (interactive), standing for {}\n", R.Model,
                  R.StandsFor.empty() ? "sim/" + R.Model : R.StandsFor));
  std::string Keys;
  if (Resumed)
    say(fmt::format("Resumed the conversation ({} earlier prompts).\n",
                    Earlier));
  // The first-run question real CLIs ask in a folder they do not know.
  else
    say("Do you trust the files in this folder?\n"
        "\u276f 1. Yes, I trust this folder\n"
        "  2. No, exit\n");
  while (!Resumed) {
    if (!readKeys(Keys))
      return 1;
    if (Keys.find('1') != std::string::npos ||
        Keys.find('\r') != std::string::npos)
      break;
    if (Keys.find('2') != std::string::npos ||
        Keys.find('\x03') != std::string::npos)
      return 1;
    Keys.clear();
  }
  Keys.clear();
  if (!Resumed)
    say("Trusted.\n");
  static constexpr llvm::StringLiteral PasteOn = "\x1b[200~",
                                       PasteOff = "\x1b[201~";
  for (;;) {
    say("\nsim> ");
    std::string Line;
    bool InPaste = false, Submitted = false;
    while (!Submitted) {
      if (Keys.empty() && !readKeys(Keys))
        return 0; // end of input: the session is over
      llvm::StringRef K = Keys;
      if (K.startswith(PasteOn) || K.startswith(PasteOff)) {
        InPaste = K.startswith(PasteOn);
        Keys.erase(0, PasteOn.size());
        continue;
      }
      char C = K.front();
      Keys.erase(0, 1);
      if (InPaste) {
        Line += C;
      } else if (C == '\r' || C == '\n') {
        Submitted = !llvm::StringRef(Line).trim().empty();
      } else if (C == 0x03) {
        return 130;
      } else if (C == 0x04 && Line.empty()) {
        return 0;
      } else if (C == 0x7f || C == 0x08) {
        if (!Line.empty()) {
          Line.pop_back();
          say("\b \b");
        }
      } else if (static_cast<unsigned char>(C) >= 0x20) {
        Line += C;
        say(llvm::StringRef(&C, 1));
      }
    }
    if (Line == "/exit")
      return 0;
    say("\n");
    R.Prompt = Line;
    appendRecord(Transcript,
                 llvm::json::Object{
                     {"type", "user"},
                     {"message", llvm::json::Object{{"role", "user"},
                                                    {"content", Line}}}});
    if (!R.Fail.empty()) {
      std::string Text, Err;
      llvm::raw_string_ostream OS(Text), ES(Err);
      int Status = runSimAgent(R, OS, ES);
      say(OS.str());
      say(ES.str());
      return Status;
    }
    std::string Answer = simReply(R);
    if (Resumed)
      Answer += fmt::format("\n## Conversation\n\nResumed: {} earlier "
                            "prompts in this conversation.\n",
                            Earlier);
    ++Earlier;
    say(Answer);
    appendRecord(
        Transcript,
        llvm::json::Object{
            {"type", "assistant"},
            {"message",
             llvm::json::Object{
                 {"role", "assistant"},
                 {"content", llvm::json::Array{llvm::json::Object{
                                 {"type", "text"}, {"text", Answer}}}}}}});
    appendRecord(Transcript, llvm::json::Object{{"type", "system"},
                                                {"subtype", "turn_end"}});
  }
}

int runtime::runSimAgent(const SimRequest &R, llvm::raw_ostream &Out,
                         llvm::raw_ostream &Err) {
  std::optional<SimFailKind> Kind = parseSimFailKind(R.Fail);
  if (!Kind) {
    Err << "sim-agent: unknown CONNECTOR_SIM_FAIL kind '" << R.Fail
        << "' (expected one of: " << simFailKindNames() << ")\n";
    return 2;
  }
  switch (*Kind) {
  case SimFailKind::None:
    Out << simReply(R);
    return 0;
  case SimFailKind::Empty:
    return 0;
  case SimFailKind::Crash:
    crash(Err);
  case SimFailKind::Hang:
    hang(Err);
  case SimFailKind::Unavailable:
  case SimFailKind::RateLimited:
  case SimFailKind::Overloaded:
  case SimFailKind::Auth:
  case SimFailKind::Context: {
    SimFailure F = simFailure(simProviderOf(R.StandsFor), *Kind);
    (F.ToStderr ? Err : Out) << F.Message;
    return F.ExitCode;
  }
  }
  llvm_unreachable("unknown sim failure kind");
}
