//===- PtySession.cpp - agents in real pseudo-terminals -------------------===//
#include "runtime/session/PtySession.h"
#include "runtime/session/AnsiStrip.h"
#include "runtime/executor/StructuredAnswer.h"

#include "llvm/Support/Errc.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <map>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
namespace asio = boost::asio;

namespace connectorc::runtime {
/// A file written in blocks (see BufferedFile::write).
struct BufferedFile {
  static constexpr size_t Block = 64 * 1024;
  /// How much written data WriteBack lets pile up before starting its
  /// writeback.
  static constexpr off_t WriteBackEvery = 8 << 20;
  int FD = -1;
  std::string Pending;
  /// The file is made durable (fdatasync) when the task ends, as the answer
  /// is: have the kernel write it out as it grows, so that the end does not
  /// wait for all of it (1 s of a 16 s task printing 1 GiB here).
  bool WriteBack = false;
  off_t Written = 0, WrittenBack = 0;
  /// Queues \p Data; writes the block when it is full or the agent \p Paused.
  void write(llvm::StringRef Data, bool Paused);
  void flush();
  void close();
};
} // namespace connectorc::runtime

namespace connectorc::runtime {
/// What a running PTY session needs, shared by its asynchronous handlers so
/// that dropping the Session never leaves a handler with a dangling pointer.
struct PtyState : std::enable_shared_from_this<PtyState> {
  static constexpr size_t TailKeep = 64 * 1024;
  /// The longest line watchFailures keeps (a longer one is cut).
  static constexpr size_t MaxWatchLine = 4096;
  /// How long output may keep coming after the process exited (a
  /// grandchild holding the terminal) before the session ends anyway.
  static constexpr std::chrono::seconds DrainLimit{2};

  PtyState(asio::io_context &Io, int Master)
      : Master(Io, Master), StdinPipe(Io), Drain(Io), Enter(Io), Kill(Io),
        Quiet(Io), Settle(Io), Notes(Io) {}

  void start(const LaunchRequest &R);
  void readMore();
  void onOutput(llvm::StringRef Bytes);
  void onExit(int Status);
  void watchPatterns(llvm::StringRef Stripped);
  void watchFailures(llvm::StringRef Stripped);
  /// Whether a watch pattern matches \p Line; records which.
  bool matchWatch(llvm::StringRef Line);
  void paste();
  /// Enter, a moment after the input written so far (the paste).
  void pressEnter();
  void finishIfDone();
  void closeFiles();
  /// Activity: set, and told to whoever listens when it changed.
  void setActivity(Activity A);
  /// Re-evaluates the activity once the terminal has been quiet.
  void armQuiet();
  void input(llvm::StringRef Bytes);
  void writeInput();
  void resize(unsigned Rows, unsigned Cols);
  /// Interactive: looks at the screen once the output has settled.
  void armSettle();
  void onSettled();
  /// Interactive: the turn is over (or `done`): the answer, then the end.
  bool turnOver();
  void endInteractive();
  void hold(bool H);
  /// Ends the agent's group: SIGTERM, SIGKILL two seconds later.
  void terminate();

  pid_t Pid = -1;
  asio::posix::stream_descriptor Master;
  asio::posix::stream_descriptor StdinPipe;
  asio::steady_timer Drain, Enter, Kill, Quiet, Settle;
  /// Interactive with a transcript: inotify on its folder, so that the
  /// turn's end is seen when the CLI writes it (which may be well after its
  /// screen settled), without polling.
  asio::posix::stream_descriptor Notes;
  std::array<char, 4096> NoteBuffer;
  void watchTranscript();
  void readNotes();
  std::array<char, 64 * 1024> Buffer;
  AnsiStripper Stripper;
  std::string Tail, Recent, Prompt;
  std::string Stripped; ///< the last read's text, control sequences removed
  std::optional<llvm::Regex> Ready, Idle;
  /// LaunchRequest::WatchPatterns, and the unfinished line they have not
  /// seen whole yet.
  std::vector<llvm::Regex> Watch;
  std::string WatchLine;
  int Watched = -1;
  std::string WatchedLine;
  BufferedFile Transcript, Answer;
  bool Pasted = false, IdleSeen = false, AnswerEmpty = true;
  bool Exited = false, OutputClosed = false, Finished = false;
  std::chrono::steady_clock::time_point LastOutput =
      std::chrono::steady_clock::now();
  int ExitCode = 0;
  SessionDone Done;
  /// What the terminal shows, for attach and the session's activity; fed
  /// lazily (screen()) from ScreenBacklog.
  Screen Scr{DefaultRows, DefaultCols};
  /// Output the screen has not seen yet, and whether some was dropped.
  std::string ScreenBacklog;
  bool BacklogCut = false;
  /// The screen with all output so far (or its last MaxBacklog bytes).
  Screen &screen();
  Activity Act = Activity::Starting;
  bool Printed = false, QuietArmed = false;
  std::string IdlePattern;
  std::function<void(Activity)> OnActivity;
  /// Attached clients.
  std::map<unsigned, Terminal::Listener> Listeners;
  unsigned NextListener = 1;
  /// Interactive sessions (LaunchRequest::Interactive).
  std::optional<ir::InteractiveMode> Mode;
  std::optional<llvm::Regex> ReadyLine;
  std::vector<llvm::Regex> ScreenLines;
  /// When each screen's keys were typed, once.
  std::vector<std::optional<std::chrono::steady_clock::time_point>>
      ScreenTyped;
  std::unique_ptr<TranscriptTurns> Turns;
  bool SettleArmed = false, Held = false;
  /// paste() asked for Enter once the queue is written.
  bool EnterAfterInput = false;
  /// A first-run question that is a person's to answer is showing.
  bool PersonAsked = false;
  /// How long output must pause before the screen is looked at: a TUI
  /// redraws in bursts of a few ms.
  static constexpr std::chrono::milliseconds SettleTime{150};
  /// Keystrokes on their way to the agent; Writing while one is written.
  std::string InputQueue;
  bool Writing = false;
  static constexpr unsigned DefaultRows = 40, DefaultCols = 120;
  /// How much unseen output the screen model keeps: many screens of text.
  static constexpr size_t MaxBacklog = 256 * 1024;
};
} // namespace connectorc::runtime

namespace {
void writeAll(int FD, llvm::StringRef Data) {
  while (FD >= 0 && !Data.empty()) {
    ssize_t N = ::write(FD, Data.data(), Data.size());
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0)
      return; // A full disk loses transcript bytes, not the run.
    Data = Data.drop_front(static_cast<size_t>(N));
  }
}

bool hasNonSpace(llvm::StringRef S) {
  return S.find_first_not_of(" \t\r\n\f\v") != llvm::StringRef::npos;
}

/// Keeps the last \p Keep bytes of \p S (amortised: trims at twice that).
} // namespace

/// Bytes on their way to a file, written in blocks: at full speed a terminal
/// hands over 4 KiB a read, and two write(2)s per read (transcript, answer)
/// held a 1 GiB agent to 58 % of a bare read loop (test/bench/run_bench.sh).
/// A short read means the agent paused, so the block goes out at once and
/// `connectorc logs --follow` still sees output as it comes.
void BufferedFile::write(llvm::StringRef Data, bool Paused) {
  Pending.append(Data.data(), Data.size());
  if (Paused || Pending.size() >= Block)
    flush();
}

void BufferedFile::flush() {
  writeAll(FD, Pending);
  Written += static_cast<off_t>(Pending.size());
  Pending.clear();
  if (WriteBack && FD >= 0 && Written - WrittenBack >= WriteBackEvery) {
    // Starts writing the range out and returns; fdatasync waits for it.
    ::sync_file_range(FD, WrittenBack, Written - WrittenBack,
                      SYNC_FILE_RANGE_WRITE);
    WrittenBack = Written;
  }
}

void BufferedFile::close() {
  flush();
  if (FD >= 0)
    ::close(FD);
  FD = -1;
}

namespace {
void appendBounded(std::string &S, llvm::StringRef More, size_t Keep) {
  S.append(More.data(), More.size());
  if (S.size() > 2 * Keep)
    S.erase(0, S.size() - Keep);
}

llvm::Error errnoError(int Err, const llvm::Twine &What) {
  return llvm::createStringError(std::error_code(Err, std::generic_category()),
                                 What);
}

/// argv/envp as posix_spawn wants them (pointing into the request).
struct ExecArgs {
  std::vector<char *> Argv, Envp;
  ExecArgs(const std::vector<std::string> &A,
           const std::vector<std::string> &E) {
    for (const std::string &S : A)
      Argv.push_back(const_cast<char *>(S.c_str()));
    Argv.push_back(nullptr);
    for (const std::string &S : E)
      Envp.push_back(const_cast<char *>(S.c_str()));
    Envp.push_back(nullptr);
  }
};

/// A pseudo-terminal's master (close-on-exec) and its slave's path.
struct Pty {
  int Master = -1;
  std::string SlavePath;
};

llvm::Expected<Pty> openPty() {
  Pty P;
  P.Master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  char Name[128];
  if (P.Master < 0 || ::grantpt(P.Master) != 0 || ::unlockpt(P.Master) != 0 ||
      ::ptsname_r(P.Master, Name, sizeof Name) != 0) {
    int Err = errno;
    if (P.Master >= 0)
      ::close(P.Master);
    return errnoError(Err, "cannot open a pseudo-terminal");
  }
  struct winsize Size = {PtyState::DefaultRows, PtyState::DefaultCols, 0, 0};
  ::ioctl(P.Master, TIOCSWINSZ, &Size);
  P.SlavePath = Name;
  return P;
}

/// Starts \p Path in a new session whose controlling terminal is \p Slave
/// (opened after setsid, so it becomes the controlling terminal), with
/// \p StdinFd as standard input when given. posix_spawn uses vfork: no page
/// tables of this (large) process are copied per agent.
int spawnInPty(pid_t &Pid, const std::string &Path, ExecArgs &Args,
               const std::string &Slave, const std::string &Cwd, int StdinFd) {
  posix_spawn_file_actions_t FA;
  posix_spawnattr_t A;
  ::posix_spawn_file_actions_init(&FA);
  ::posix_spawnattr_init(&A);
  ::posix_spawn_file_actions_addopen(&FA, STDIN_FILENO, Slave.c_str(), O_RDWR,
                                     0);
  ::posix_spawn_file_actions_adddup2(&FA, STDIN_FILENO, STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&FA, STDIN_FILENO, STDERR_FILENO);
  if (StdinFd >= 0)
    ::posix_spawn_file_actions_adddup2(&FA, StdinFd, STDIN_FILENO);
  if (!Cwd.empty())
    ::posix_spawn_file_actions_addchdir_np(&FA, Cwd.c_str());
  // Every signal back to its default, as in a fresh terminal. Named one by
  // one (SIGPIPE, SIGINT, ...), the child also asked the kernel for each
  // other signal's handler and reset it: 116 rt_sigaction calls per agent,
  // in the vfork child while the runtime waits; with all of them named it
  // sets each once and asks nothing (64).
  sigset_t None, Defaults;
  sigemptyset(&None);
  sigfillset(&Defaults);
  ::posix_spawnattr_setsigmask(&A, &None);
  ::posix_spawnattr_setsigdefault(&A, &Defaults);
  ::posix_spawnattr_setflags(&A, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                     POSIX_SPAWN_SETSIGDEF);
  int Err = ::posix_spawn(&Pid, Path.c_str(), &FA, &A, Args.Argv.data(),
                          Args.Envp.data());
  ::posix_spawn_file_actions_destroy(&FA);
  ::posix_spawnattr_destroy(&A);
  return Err;
}

/// The session as the executor holds it.
class PtySession : public Session, public Terminal {
public:
  explicit PtySession(std::shared_ptr<PtyState> S) : S(std::move(S)) {}
  ~PtySession() override {
    if (!S->Exited)
      ::killpg(S->Pid, SIGKILL);
    S->Done = nullptr;
  }
  void signal(int Sig) override {
    if (!S->Exited)
      ::killpg(S->Pid, Sig);
  }
  std::string lastLine() const override {
    llvm::StringRef Line = S->Stripper.currentLine();
    if (Line.trim().empty()) {
      llvm::StringRef T = llvm::StringRef(S->Tail).rtrim();
      Line = T.substr(T.rfind('\n') + 1);
    }
    return Line.trim().str();
  }
  Terminal *terminal() override { return this; }
  bool done() override {
    if (!S->Mode || S->Exited)
      return false;
    S->Held = false;
    if (!S->Pasted)
      return false; // nothing asked yet: no answer to end with
    S->endInteractive();
    return true;
  }
  void hold(bool H) override { S->hold(H); }
  Activity activity() const override { return S->Act; }
  void onActivity(std::function<void(Activity)> F) override {
    S->OnActivity = std::move(F);
  }
  const Screen &screen() override { return S->screen(); }
  void input(llvm::StringRef Bytes) override { S->input(Bytes); }
  void resize(unsigned Rows, unsigned Cols) override {
    S->resize(Rows, Cols);
  }
  unsigned listen(Listener L) override {
    unsigned Id = S->NextListener++;
    if (S->Finished)
      L("", /*Closed=*/true);
    else
      S->Listeners.emplace(Id, std::move(L));
    return Id;
  }
  void unlisten(unsigned Id) override { S->Listeners.erase(Id); }

private:
  std::shared_ptr<PtyState> S;
};
} // namespace

void PtyState::start(const LaunchRequest &R) {
  Prompt = R.Via == ir::PromptVia::Arg ? "" : R.Prompt;
  if (R.Interactive) {
    Mode = R.Interactive;
    ReadyLine.emplace(Mode->ReadyPattern, llvm::Regex::Newline);
    for (const ir::FirstRunScreen &F : Mode->Screens)
      ScreenLines.emplace_back(F.Pattern, llvm::Regex::IgnoreCase);
    ScreenTyped.assign(ScreenLines.size(), std::nullopt);
    if (!Mode->Transcript.empty()) {
      Turns = std::make_unique<TranscriptTurns>(*Mode);
      watchTranscript();
    }
  } else if (R.Via == ir::PromptVia::Type) {
    Ready.emplace(R.ReadyPattern.empty() ? "." : R.ReadyPattern,
                  llvm::Regex::IgnoreCase);
    if (!R.IdlePattern.empty())
      Idle.emplace(R.IdlePattern, llvm::Regex::IgnoreCase);
  } else {
    Pasted = true; // Everything the agent prints is its answer.
  }
  for (const std::string &W : R.WatchPatterns)
    Watch.emplace_back(W, llvm::Regex::IgnoreCase);
  if (R.Via == ir::PromptVia::Stdin && StdinPipe.is_open()) {
    auto Self = shared_from_this();
    asio::async_write(StdinPipe, asio::buffer(Prompt),
                      [Self](boost::system::error_code, size_t) {
                        boost::system::error_code Ignored;
                        Self->StdinPipe.close(Ignored);
                      });
  }
  readMore();
}

void PtyState::readMore() {
  auto Self = shared_from_this();
  Master.async_read_some(
      asio::buffer(Buffer), [Self](boost::system::error_code EC, size_t N) {
        if (N)
          Self->onOutput(llvm::StringRef(Self->Buffer.data(), N));
        if (!EC) {
          Self->readMore();
          return;
        }
        // EIO: every slave descriptor is closed, the terminal is done.
        Self->OutputClosed = true;
        Self->finishIfDone();
      });
}

void PtyState::onOutput(llvm::StringRef Bytes) {
  LastOutput = std::chrono::steady_clock::now();
  bool Paused = Bytes.size() < 2048;
  Transcript.write(Bytes, Paused);
  // The screen model is fed when it is looked at, not per read: libvterm
  // moves its whole buffer for each line that scrolls (9-25 MB/s here),
  // which would hold a fast agent to that rate. What it needs of a long
  // burst is the end, which holds the screen as it is.
  ScreenBacklog.append(Bytes.data(), Bytes.size());
  if (ScreenBacklog.size() > 2 * MaxBacklog) {
    size_t Cut = ScreenBacklog.size() - MaxBacklog;
    // From a line's start, so that the text is not cut mid-sequence.
    size_t Nl = ScreenBacklog.find('\n', Cut);
    ScreenBacklog.erase(0, Nl == std::string::npos ? Cut : Nl + 1);
    BacklogCut = true;
  }
  Printed = true;
  setActivity(Activity::Working);
  armQuiet();
  // A copy: a listener may detach (erase itself) while it is told.
  if (!Listeners.empty())
    for (auto &[Id, L] : std::map<unsigned, Terminal::Listener>(Listeners))
      L(Bytes, /*Closed=*/false);
  std::string &Text = Stripped; // reused: no allocation per read
  Text.clear();
  Stripper.feed(Bytes, Text);
  appendBounded(Tail, Text, TailKeep);
  if (Pasted && !IdleSeen && !Turns) {
    Answer.write(Text, Paused);
    AnswerEmpty = AnswerEmpty && !hasNonSpace(Text);
  }
  if (Mode)
    armSettle();
  else if (Ready)
    watchPatterns(Text);
  if (!Watch.empty())
    watchFailures(Text);
}

// A CLI's own retry message ("API Error: 529 ... Retrying in 4s") shows its
// provider is failing: end the attempt now rather than when it gives up.
// Each line is matched once, when it is complete (or rewritten with \r);
// only providers with such rules pay for it.
void PtyState::watchFailures(llvm::StringRef Stripped) {
  if (Watched >= 0)
    return;
  auto Check = [this](llvm::StringRef Line) {
    if (!matchWatch(Line))
      return false;
    terminate();
    return true;
  };
  while (!Stripped.empty()) {
    size_t End = Stripped.find_first_of("\r\n");
    if (End == llvm::StringRef::npos) {
      if (WatchLine.size() < MaxWatchLine)
        WatchLine.append(Stripped.data(), std::min(Stripped.size(),
                                                   MaxWatchLine - WatchLine.size()));
      return;
    }
    if (WatchLine.size() < MaxWatchLine)
      WatchLine.append(Stripped.data(),
                       std::min(End, MaxWatchLine - WatchLine.size()));
    bool Hit = Check(WatchLine);
    WatchLine.clear();
    if (Hit)
      return;
    Stripped = Stripped.drop_front(End + 1);
  }
}

bool PtyState::matchWatch(llvm::StringRef Line) {
  Line = Line.trim();
  if (Line.empty())
    return false;
  for (size_t I = 0; I < Watch.size(); ++I)
    if (Watch[I].match(Line)) {
      Watched = static_cast<int>(I);
      WatchedLine = Line.take_front(MaxWatchLine).str();
      return true;
    }
  return false;
}

void PtyState::watchPatterns(llvm::StringRef Stripped) {
  appendBounded(Recent, Stripped, 4096);
  std::string Window = Recent + Stripper.currentLine().str();
  if (!Pasted && Ready->match(Window)) {
    paste();
    return;
  }
  if (Pasted && !IdleSeen && Idle && Idle->match(Window)) {
    // The interactive agent is done: end it; its answer is complete.
    IdleSeen = true;
    ::killpg(Pid, SIGTERM);
  }
}

Screen &PtyState::screen() {
  if (BacklogCut) {
    // What came before the kept end is gone: a fresh screen of the same
    // size shows that end as the terminal does.
    Scr.reset();
    BacklogCut = false;
  }
  Scr.feed(ScreenBacklog);
  ScreenBacklog.clear();
  return Scr;
}

void PtyState::setActivity(Activity A) {
  if (A == Act)
    return;
  Act = A;
  if (OnActivity)
    OnActivity(A);
}

// One timer per session, armed at the first output after a quiet spell and
// pushed on only when it fires early: O(1) per read, no polling.
void PtyState::armQuiet() {
  if (QuietArmed || Exited)
    return;
  QuietArmed = true;
  auto Since = std::chrono::steady_clock::now() - LastOutput;
  Quiet.expires_after(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(QuietSeconds)) -
      Since);
  Quiet.async_wait([Self = shared_from_this()](boost::system::error_code EC) {
    Self->QuietArmed = false;
    if (EC || Self->Exited)
      return;
    double QuietS = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - Self->LastOutput)
                        .count();
    if (QuietS < QuietSeconds) {
      Self->armQuiet();
      return;
    }
    // A first-run screen still there after its keys and a quiet spell is
    // a person's (onSettled says so).
    if (Self->Mode && !Self->Pasted)
      Self->onSettled();
    Self->setActivity(Self->PersonAsked
                          ? Activity::WaitingForInput
                          : classify(Self->screen(), Self->Printed, false,
                                     QuietS, Self->IdlePattern));
    if (Self->Mode && Self->Pasted && Self->turnOver())
      Self->endInteractive();
  });
}

void PtyState::armSettle() {
  if (SettleArmed || Exited)
    return;
  SettleArmed = true;
  auto Since = std::chrono::steady_clock::now() - LastOutput;
  Settle.expires_after(SettleTime - Since);
  Settle.async_wait([Self = shared_from_this()](boost::system::error_code EC) {
    Self->SettleArmed = false;
    if (EC || Self->Exited)
      return;
    if (std::chrono::steady_clock::now() - Self->LastOutput < SettleTime) {
      Self->armSettle();
      return;
    }
    Self->onSettled();
  });
}

namespace {
/// A screen line as patterns see it: no-break spaces (which TUIs draw in
/// their input boxes) as spaces, trailing blanks gone.
std::string normalLine(std::string L) {
  for (size_t P; (P = L.find("\xc2\xa0")) != std::string::npos;)
    L.replace(P, 2, " ");
  while (!L.empty() && L.back() == ' ')
    L.pop_back();
  return L;
}
} // namespace

void PtyState::onSettled() {
  if (Pasted) {
    if (turnOver())
      endInteractive();
    return;
  }
  Screen &S = screen();
  std::vector<std::string> Lines;
  for (unsigned R = 0; R < S.rows(); ++R)
    Lines.push_back(normalLine(S.line(R)));
  // Ready first: a CLI that does not clear its screen still shows the
  // questions it asked above its prompt.
  for (const std::string &L : Lines)
    if (ReadyLine->match(L)) {
      paste();
      return;
    }
  // A first-run question connectorc may answer: its keys, at most a few
  // times (a screen that stays means the keys do not pass it).
  // One that is a person's: the session waits for input, whatever the
  // screen's shape says.
  PersonAsked = false;
  for (size_t I = 0; I < ScreenLines.size(); ++I)
    for (const std::string &L : Lines)
      if (ScreenLines[I].match(L)) {
        if (Mode->Screens[I].Keys.empty()) {
          PersonAsked = true;
          setActivity(Activity::WaitingForInput);
        } else if (!ScreenTyped[I]) {
          // Once: a slow CLI may show the question a while after its keys
          // arrived, and keys typed again would land in its next screen or
          // its prompt. A screen the keys do not pass is a person's then.
          input(Mode->Screens[I].Keys);
          ScreenTyped[I] = std::chrono::steady_clock::now();
        } else if (std::chrono::steady_clock::now() - *ScreenTyped[I] >=
                   std::chrono::duration<double>(QuietSeconds)) {
          PersonAsked = true;
          setActivity(Activity::WaitingForInput);
        }
        return;
      }
}

bool PtyState::turnOver() {
  if (!Turns)
    return Act == Activity::WaitingForInput || Act == Activity::Idle;
  Turns->update(Mode->Transcript);
  return Turns->turnOver();
}

void PtyState::watchTranscript() {
  // The folder is made now (the CLI makes it at its first record), so that
  // it can be watched from the start.
  llvm::StringRef Dir = llvm::sys::path::parent_path(Mode->Transcript);
  if (Dir.empty() || llvm::sys::fs::create_directories(Dir))
    return; // then the quiet timer and the screen's settling look at it
  int FD = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (FD < 0)
    return;
  if (::inotify_add_watch(FD, Dir.str().c_str(),
                          IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
    ::close(FD);
    return;
  }
  Notes.assign(FD);
  readNotes();
}

void PtyState::readNotes() {
  Notes.async_read_some(
      asio::buffer(NoteBuffer),
      [Self = shared_from_this()](boost::system::error_code EC, size_t) {
        if (EC || Self->Exited)
          return;
        // Which file changed does not matter: reading ours is cheap (from
        // where the last read ended).
        if (Self->Pasted && !Self->IdleSeen && Self->turnOver())
          Self->endInteractive();
        Self->readNotes();
      });
}

void PtyState::endInteractive() {
  if (IdleSeen || Exited || Held)
    return;
  IdleSeen = true;
  if (Turns) {
    Turns->update(Mode->Transcript);
    Answer.write(Turns->answer(), /*Paused=*/true);
    AnswerEmpty = !hasNonSpace(Turns->answer());
  }
  terminate();
}

void PtyState::hold(bool H) {
  Held = H;
  if (!H && Mode && Pasted && turnOver())
    endInteractive();
}

void PtyState::terminate() {
  ::killpg(Pid, SIGTERM);
  Kill.expires_after(std::chrono::seconds(2));
  Kill.async_wait([Self = shared_from_this()](boost::system::error_code EC) {
    if (!EC && !Self->Exited)
      ::killpg(Self->Pid, SIGKILL);
  });
}

void PtyState::input(llvm::StringRef Bytes) {
  if (Exited || Finished)
    return;
  InputQueue.append(Bytes.data(), Bytes.size());
  writeInput();
}

void PtyState::writeInput() {
  if (Writing || InputQueue.empty())
    return;
  Writing = true;
  auto Text = std::make_shared<std::string>(std::move(InputQueue));
  InputQueue.clear();
  asio::async_write(Master, asio::buffer(*Text),
                    [Self = shared_from_this(),
                     Text](boost::system::error_code EC, size_t) {
                      Self->Writing = false;
                      if (EC)
                        return;
                      Self->writeInput();
                      if (!Self->Writing && Self->EnterAfterInput)
                        Self->pressEnter();
                    });
}

void PtyState::resize(unsigned Rows, unsigned Cols) {
  if (Rows == 0 || Cols == 0 || Rows > 1000 || Cols > 1000 || Finished)
    return;
  struct winsize Size = {static_cast<unsigned short>(Rows),
                         static_cast<unsigned short>(Cols), 0, 0};
  ::ioctl(Master.native_handle(), TIOCSWINSZ, &Size);
  screen().resize(Rows, Cols);
}

void PtyState::paste() {
  Pasted = true;
  Recent.clear();
  // Through the one input queue, after any keys typed before it (a
  // first-run screen's), never between them.
  input("\x1b[200~" + Prompt + "\x1b[201~");
  EnterAfterInput = true;
}

void PtyState::pressEnter() {
  EnterAfterInput = false;
  // TUIs take a paste and Enter in one read as a newline in the input:
  // Enter comes a moment after the paste is written.
  Enter.expires_after(std::chrono::milliseconds(200));
  Enter.async_wait([Self = shared_from_this()](boost::system::error_code E) {
    if (!E && !Self->Exited)
      Self->input("\r");
  });
}

void PtyState::onExit(int Status) {
  Exited = true;
  ExitCode = WIFEXITED(Status) ? WEXITSTATUS(Status) : 128 + WTERMSIG(Status);
  if (IdleSeen)
    ExitCode = 0; // We ended it, after its answer.
  // Whatever it left running in its group ends with it.
  ::killpg(Pid, SIGKILL);
  auto Self = shared_from_this();
  Drain.expires_after(DrainLimit);
  Drain.async_wait([Self](boost::system::error_code EC) {
    if (EC)
      return;
    Self->OutputClosed = true;
    Self->finishIfDone();
  });
  finishIfDone();
}

void PtyState::finishIfDone() {
  if (!Exited || !OutputClosed || Finished)
    return;
  Finished = true;
  Drain.cancel();
  Enter.cancel();
  Kill.cancel();
  Quiet.cancel();
  Settle.cancel();
  if (Watched < 0)
    matchWatch(WatchLine); // The last line, never ended with a newline.
  std::string Rest;
  Stripper.finish(Rest);
  appendBounded(Tail, Rest, TailKeep);
  if (Pasted && !IdleSeen && Turns) {
    // It exited by itself (a person typed /exit): its last message.
    Turns->update(Mode->Transcript);
    Answer.write(Turns->answer(), /*Paused=*/true);
    AnswerEmpty = !hasNonSpace(Turns->answer());
  } else if (Pasted && !IdleSeen) {
    Answer.write(Rest, /*Paused=*/true);
    AnswerEmpty = AnswerEmpty && !hasNonSpace(Rest);
  }
  closeFiles();
  if (Tail.size() > TailKeep)
    Tail.erase(0, Tail.size() - TailKeep);
  SessionEnd End;
  End.ExitCode = ExitCode;
  End.OutputTail = std::move(Tail);
  End.AnswerEmpty = AnswerEmpty;
  End.Watched = Watched;
  End.WatchedLine = std::move(WatchedLine);
  setActivity(Activity::Exited);
  for (auto &[Id, L] : std::map<unsigned, Terminal::Listener>(Listeners))
    L("", /*Closed=*/true);
  Listeners.clear();
  if (SessionDone D = std::move(Done))
    D(std::move(End));
}

void PtyState::closeFiles() {
  boost::system::error_code Ignored;
  Master.close(Ignored);
  StdinPipe.close(Ignored);
  Notes.close(Ignored);
  Transcript.close();
  Answer.close();
}

PtyLauncher::PtyLauncher(asio::io_context &Io)
    : Io(Io), ChildExits(Io, SIGCHLD) {
  // An agent that closes its stdin early must not kill the runtime.
  ::signal(SIGPIPE, SIG_IGN);
  watchChildren();
}

PtyLauncher::~PtyLauncher() {
  for (auto &[Pid, S] : Live)
    ::killpg(Pid, SIGKILL);
  for (auto &[Pid, S] : Live)
    ::waitpid(Pid, nullptr, 0);
}

void PtyLauncher::watchChildren() {
  ChildExits.async_wait([this](boost::system::error_code EC, int) {
    if (EC)
      return;
    reapChildren();
    watchChildren();
  });
}

void PtyLauncher::reapChildren() {
  int Status = 0;
  pid_t Pid;
  while ((Pid = ::waitpid(-1, &Status, WNOHANG)) > 0) {
    auto It = Live.find(Pid);
    if (It == Live.end())
      continue;
    std::shared_ptr<PtyState> S = std::move(It->second);
    Live.erase(It);
    S->onExit(Status);
  }
}

namespace {
llvm::Expected<std::string> findExecutable(llvm::StringRef Name) {
  if (Name.contains('/'))
    return Name.str();
  llvm::ErrorOr<std::string> Path = llvm::sys::findProgramByName(Name);
  if (!Path)
    return errnoError(ENOENT, "cannot find '" + Name + "' on PATH");
  return *Path;
}

int openFile(const std::string &Path, int Flags) {
  return ::open(Path.c_str(), Flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
}

} // namespace

llvm::Expected<std::unique_ptr<Session>>
PtyLauncher::launch(const LaunchRequest &R, SessionDone Done) {
  assert(!R.Argv.empty() && "no program to start");
  llvm::Expected<std::string> Path = findExecutable(R.Argv.front());
  if (!Path)
    return Path.takeError();
  llvm::Expected<Pty> P = openPty();
  if (!P)
    return P.takeError();
  int In[2] = {-1, -1};
  if (R.Via == ir::PromptVia::Stdin && ::pipe2(In, O_CLOEXEC) != 0) {
    ::close(P->Master);
    return errnoError(errno, "cannot create a pipe");
  }
  ExecArgs Args(R.Argv, R.Env);
  pid_t Pid = -1;
  int Err = spawnInPty(Pid, *Path, Args, P->SlavePath, R.Cwd, In[0]);
  if (In[0] >= 0)
    ::close(In[0]);
  if (Err) {
    ::close(P->Master);
    if (In[1] >= 0)
      ::close(In[1]);
    return errnoError(Err, "cannot execute '" + *Path + "'");
  }
  auto S = std::make_shared<PtyState>(Io, P->Master);
  S->Pid = Pid;
  S->Done = std::move(Done);
  if (In[1] >= 0)
    S->StdinPipe.assign(In[1]);
  S->Transcript.FD = openFile(R.TranscriptPath, O_APPEND);
  S->Answer.FD = openFile(R.AnswerPath, O_TRUNC);
  S->Answer.WriteBack = true;
  S->IdlePattern = R.IdlePattern;
  Live.emplace(Pid, S);
  S->start(R);
  return std::make_unique<PtySession>(S);
}
