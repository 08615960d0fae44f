//===- SimAgent.h - the offline, deterministic agent ------------*- C++ -*-===//
//
// `connectorc sim-agent` stands in for an AI coding CLI: with --simulate every
// model of a plan runs on it, inside a terminal like any CLI. Its answer
// names the model it stands for, the phase and worker, echoes the prompt and
// lists every input file with its size and SHA-256, so that a synthesis
// phase visibly reads the reviews. Told to fail (CONNECTOR_SIM_FAIL), it
// prints the message the real CLI prints in that case and exits as it does
// (docs/sim.md).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SIMAGENT_H
#define CONNECTORC_RUNTIME_SIMAGENT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace connectorc::runtime {

/// How the sim agent is told to fail (CONNECTOR_SIM_FAIL).
enum class SimFailKind {
  None,
  Unavailable,
  RateLimited,
  Overloaded,
  Auth,
  Context,
  Crash,
  Hang,
  Empty
};

/// "unavailable", "rate-limit" (or "rate-limited"), "overloaded", "auth",
/// "context", "crash", "hang", "empty"; "" is None. Unknown: std::nullopt.
std::optional<SimFailKind> parseSimFailKind(llvm::StringRef Name);

/// The names parseSimFailKind accepts, for messages and help.
llvm::StringRef simFailKindNames();

/// What one sim-agent run is asked to do.
struct SimRequest {
  std::string Model = "balanced"; ///< --model
  std::string StandsFor; ///< CONNECTOR_SIM_AS (a binding id), else sim/<Model>
  std::string Task;      ///< CONNECTOR_TASK: "<stage>/<worker>"
  std::vector<std::string> Inputs; ///< CONNECTOR_INPUTS, ':'-separated
  std::string RunDir;              ///< CONNECTOR_RUN_DIR
  std::string Fail;                ///< CONNECTOR_SIM_FAIL
  /// CONNECTOR_UNTIL: a dialogue's closing text. The sim never echoes it
  /// (it shows "[until]" in the quoted prompt) and says it from its turn
  /// that reads two earlier turns (inputs beside its own answer) on, so a
  /// simulated dialogue has real turns and then ends early.
  std::string Until;
  std::string Output; ///< CONNECTOR_OUTPUT

  std::string Prompt;              ///< standard input
  /// CONNECTOR_MAIL_DIR and CONNECTOR_MAIL_NAME: with both, the sim greets
  /// every other mailbox and reads its own before answering (simMail).
  std::string MailDir;
  std::string MailName;
};

/// Reads the prompt from \p FD: up to end of file or to the first ^D byte
/// (0x04), whichever comes first. In a terminal in canonical mode ^D at the
/// start of a line is end of file; in raw mode (no 4 KiB line limit, which a
/// runtime wants for long prompts) it arrives as a byte. Fails with the
/// read error.
llvm::Expected<std::string> readSimPrompt(int FD);

/// The request described by the environment, with \p Model and \p Prompt.
SimRequest simRequestFromEnvironment(llvm::StringRef Model, std::string Prompt);

/// The provider a binding id names: "claude" for "claude/sonnet",
/// "h:claude/haiku" or "claude/haiku#2".
std::string simProviderOf(llvm::StringRef BindingId);

/// A real CLI's failure: what it prints, where, and its exit status.
struct SimFailure {
  llvm::StringRef Message;
  bool ToStderr = false;
  int ExitCode = 1;
};

/// How \p Provider's CLI fails as \p Kind (one of the five provider failure
/// kinds); the sim's own message for a provider it does not imitate.
SimFailure simFailure(llvm::StringRef Provider, SimFailKind Kind);

/// The providers whose CLIs the sim imitates.
std::vector<llvm::StringRef> simImitatedProviders();

/// The deterministic markdown answer to \p R.
std::string simAnswer(const SimRequest &R);

/// Runs the sim agent: prints the answer (or the failure) to \p Out and
/// \p Err and returns the exit status. Does not return for "crash" (dies by
/// SIGABRT, without a core file) and "hang" (waits for a signal).
/// Does what the prompt's action lines say, so that tests can see where an
/// agent may write and connect: "@sim write PATH TEXT" (TEXT and a newline;
/// PATH relative to the working directory), "@sim symlink TARGET LINK"
/// (LINK replaced by a symbolic link), "@sim connect HOST:PORT" (a TCP
/// connection to an IPv4 address). Returns an "## Actions" section with each
/// result ("ok", or "failed: <reason>"), or "" when there are none.
std::string simActions(llvm::StringRef Prompt);

/// When \p R has a mailbox: sends one message ("hello from NAME") to each
/// other mailbox, then reads its new mail without waiting, and returns a
/// "## Mail" section with what it sent and read (to whom, from whom); ""
/// without a mailbox. A failed delivery is listed, not fatal.
std::string simMail(const SimRequest &R);

int runSimAgent(const SimRequest &R, llvm::raw_ostream &Out,
                llvm::raw_ostream &Err);

/// What the sim answers when it succeeds: simAnswer, then its mail and
/// actions sections.
std::string simReply(const SimRequest &R);

/// `sim-agent --interactive`: a full-screen CLI in miniature on the
/// terminal (standard input and output). It asks the first-run question
/// real CLIs ask ("Do you trust the files in this folder?", answered by 1
/// or Enter), then shows a `sim> ` prompt, takes a line or a bracketed
/// paste and Enter, answers as runSimAgent does, and comes back to the
/// prompt until end of input, Ctrl-D, Ctrl-C (130) or `/exit`. Each turn
/// goes to \p Transcript (JSON lines, as Claude Code's): a "user" record,
/// an "assistant" record whose message content holds the answer as a text
/// block, and a {"type":"system","subtype":"turn_end"} record. Told to fail
/// (R.Fail), it fails at its first prompt as runSimAgent does. \p Resumed:
/// it continues the conversation in \p Transcript (`--resume ID`): no
/// first-run question, and each answer says how many prompts came before.
int runSimInteractive(SimRequest R, llvm::StringRef Transcript,
                      bool Resumed = false);

} // namespace connectorc::runtime

#endif
