//===- ControlFuzzer.cpp - libFuzzer target: the control protocol ---------===//
//
// Feeds arbitrary bytes to a run's control server as one connection would
// bring them (runtime/daemon/Control.h): request lines, each answered by
// handleControlLine, until one attaches; from there on the rest is the
// client's frames, split by splitFrames and handled by handleClientFrame, as
// ControlServer's connections do. The run behind it is a fake of two tasks,
// a/1 and b/1 (test/unit/FakeControl.h), whose terminals are real screens
// that show what is typed; another client types into b/1 already.
//
// Besides crashes and sanitizer reports, a finding is: an answer without
// "ok" and "v", a window outside the protocol's bounds reaching a terminal
// (FakeTerminal asserts), frames that differ with how the stream was split
// into reads, or frames that do not encode back to the bytes they came from.
//
//===----------------------------------------------------------------------===//
#include "../unit/FakeControl.h"
#include "runtime/support/JsonText.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace connectorc;
using namespace connectorc::runtime;

namespace {
void check(bool Holds) {
  if (!Holds)
    std::abort();
}

struct Split {
  std::vector<std::pair<Frame, std::string>> Frames;
  bool Ok = true;
  std::string Left;
};

/// \p Stream's frames when it arrives \p Read bytes at a time.
Split splitInReads(llvm::StringRef Stream, size_t Read) {
  Split S;
  for (size_t At = 0; At < Stream.size() && S.Ok; At += Read) {
    S.Left += Stream.substr(At, Read).str();
    S.Ok = splitFrames(S.Left, [&](Frame F, llvm::StringRef P) {
      S.Frames.emplace_back(F, P.str());
      return true;
    });
  }
  return S;
}

/// The frame stream's properties: the same frames however it is read, and
/// they encode back to the stream they came from.
void checkSplitting(llvm::StringRef Stream) {
  Split Whole = splitInReads(Stream, Stream.size() + 1);
  std::string Again;
  for (const auto &[F, P] : Whole.Frames)
    Again += encodeFrame(F, P);
  check(llvm::StringRef(Stream).startswith(Again));
  if (Whole.Ok)
    check(Again + Whole.Left == Stream);
  for (size_t Read : {1, 3, 4096}) {
    Split S = splitInReads(Stream, Read);
    check(S.Ok == Whole.Ok);
    // A read that fails stops at the malformed frame, as the server does.
    check(S.Frames == Whole.Frames);
    if (S.Ok)
      check(S.Left == Whole.Left);
  }
}

/// What the server does with the frames after the attach: reads of 7 bytes
/// (any size does; the property above says so) until one is refused.
void serveFrames(ControlAttachment &Conn, llvm::StringRef Stream) {
  std::string Buf;
  for (size_t At = 0; At < Stream.size(); At += 7) {
    Buf += Stream.substr(At, 7).str();
    if (!splitFrames(Buf, [&](Frame F, llvm::StringRef P) {
          return handleClientFrame(Conn, F, P);
        }))
      return;
  }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Input(reinterpret_cast<const char *>(Data), Size);
  FakeRun Run({"a/1", "b/1"});
  std::set<std::string> Writers = {"b/1"};
  ControlAttachment Conn;
  while (!Input.empty() && !Conn.Term) {
    auto [Line, Rest] = Input.split('\n');
    Input = Rest;
    if (Line.size() > MaxControlLine)
      return 0; // The server refuses it before it is a line.
    llvm::json::Object Answer = handleControlLine(Run, Line, Writers, Conn);
    check(Answer.getBoolean("ok").hasValue());
    check(Answer.getInteger("v").getValueOr(-1) == ControlProtocolVersion);
    (void)toJsonText(llvm::json::Value(std::move(Answer)));
  }
  if (!Conn.Term)
    return 0;
  // The redraw an attached client gets first, then its frames.
  (void)Conn.Term->screen().redraw();
  checkSplitting(Input);
  serveFrames(Conn, Input);
  (void)Conn.Term->screen().redraw();
  return 0;
}
