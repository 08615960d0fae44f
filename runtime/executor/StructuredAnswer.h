//===- StructuredAnswer.h - what a CLI's JSON output says ---------*- C++
//-*-===//
//
// The real CLIs can print their result as JSON (`claude -p --output-format
// json`, `gemini --output-format json`, `codex exec --json`, `opencode run
// --format json`): one document, JSON lines, or an array of events. In a
// terminal their warnings and banners land around it. The registry names
// where the answer is (`answer_json_field`, `answer_json_where`) and where
// the usage is (`usage`): the answer saved for the next phase is that text,
// and the attempt's tokens, cost and conversation id are recorded.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_STRUCTUREDANSWER_H
#define CONNECTORC_RUNTIME_STRUCTUREDANSWER_H

#include "ir/Plan.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>

namespace connectorc::runtime {

/// What one attempt used, as the CLI reported it.
struct AttemptUsage {
  std::optional<double> InputTokens, OutputTokens, CostUsd;
  std::optional<std::string> SessionId;
  bool empty() const {
    return !InputTokens && !OutputTokens && !CostUsd && !SessionId;
  }
};

namespace detail {
class Documents;
}

/// A CLI's output with its JSON documents found once (see
/// extractJsonAnswer), for the answer and the usage both.
class StructuredOutput {
public:
  explicit StructuredOutput(llvm::StringRef Output);
  StructuredOutput(StructuredOutput &&);
  StructuredOutput &operator=(StructuredOutput &&);
  ~StructuredOutput();
  /// As extractJsonAnswer.
  llvm::Expected<std::string> answer(llvm::StringRef Field,
                                     const ir::EnvList &Where) const;
  /// As extractUsage.
  AttemptUsage usage(const ir::UsageFields &F) const;

private:
  std::unique_ptr<detail::Documents> Docs;
};

/// The string at \p Field (a member name, or a JSON Pointer when it starts
/// with '/') of the last JSON document of \p Output that has one there and
/// holds each of \p Where's strings at its pointer. Documents are the JSON
/// values that start a line of \p Output (anything else, before, between or
/// after, is skipped), and each element of a top-level array. An error says
/// why there is none.
llvm::Expected<std::string> extractJsonAnswer(llvm::StringRef Output,
                                              llvm::StringRef Field,
                                              const ir::EnvList &Where = {});

/// The fields of \p F found in the JSON documents of \p Output (each from
/// the last document where its pointer resolves).
AttemptUsage extractUsage(llvm::StringRef Output, const ir::UsageFields &F);

/// A CLI's own transcript of an interactive conversation (JSON lines, the
/// registry's "interactive": Claude Code's ~/.claude/projects/.../ID.jsonl),
/// read as it grows: whether the agent's turn is over and its last message.
class TranscriptTurns {
public:
  explicit TranscriptTurns(const ir::InteractiveMode &M);
  ~TranscriptTurns();
  /// Reads what was appended to \p Path since the last call (whole lines
  /// only; a missing file is no news).
  void update(const std::string &Path);
  /// A record of TurnEnd came after the last of TurnStart, and there was a
  /// TurnStart: the agent answered the last prompt and waits.
  bool turnOver() const {
    return Starts > 0 && (Timed ? EndTime >= StartTime : EndAfterStart);
  }
  /// How many turns have started.
  unsigned turns() const { return Starts; }
  /// The text of the last AnswerWhere record that has some: the message at
  /// AnswerPointer, a string or the "text" of its {"type": "text"} blocks.
  const std::string &answer() const { return Answer; }
  /// One record (a line), for tests and update().
  void feed(llvm::StringRef Line);

private:
  struct Rules;
  std::unique_ptr<Rules> R;
  off_t Offset = 0;
  std::string Partial;
  unsigned Starts = 0;
  bool EndAfterStart = false;
  /// With RecordTime: the latest start, end and answer, by their records'
  /// times.
  bool Timed = false;
  std::string StartTime, EndTime, AnswerTime, LastTime;
  std::string Answer;
};

} // namespace connectorc::runtime

#endif
