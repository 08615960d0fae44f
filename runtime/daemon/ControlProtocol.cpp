//===- ControlProtocol.cpp - a control socket's requests and frames -------===//
//
// What a run's control server does with the bytes a client sends, without
// the socket: ControlServer's connections call these, and so do the unit
// tests and the fuzz target (test/fuzz/ControlFuzzer.cpp).
//
//===----------------------------------------------------------------------===//
#include "runtime/daemon/Control.h"
#include "runtime/session/Screen.h"
#include "runtime/support/JsonText.h"

#include <fmt/format.h>

using namespace connectorc;
using namespace connectorc::runtime;
namespace json = llvm::json;

std::string runtime::encodeFrame(Frame F, llvm::StringRef Payload) {
  std::string Out(5, '\0');
  Out[0] = static_cast<char>(F);
  uint32_t N = static_cast<uint32_t>(Payload.size());
  for (int I = 0; I < 4; ++I)
    Out[1 + I] = static_cast<char>((N >> (24 - 8 * I)) & 0xff);
  Out.append(Payload.data(), Payload.size());
  return Out;
}

bool runtime::splitFrames(
    std::string &Buf,
    llvm::function_ref<bool(Frame, llvm::StringRef)> OnFrame) {
  size_t At = 0;
  while (Buf.size() - At >= 5) {
    uint32_t N = 0;
    for (int I = 0; I < 4; ++I)
      N = (N << 8) | static_cast<unsigned char>(Buf[At + 1 + I]);
    if (N > MaxFrame)
      return false;
    if (Buf.size() - At - 5 < N)
      break;
    if (!OnFrame(static_cast<Frame>(Buf[At]),
                 llvm::StringRef(Buf).substr(At + 5, N)))
      return false;
    At += 5 + N;
  }
  Buf.erase(0, At);
  return true;
}

namespace {
json::Object refuse(const llvm::Twine &Why) {
  return json::Object{{"ok", false}, {"error", Why.str()}};
}

bool isWindowSize(int64_t Rows, int64_t Cols) {
  return Rows > 0 && Cols > 0 && Rows <= MaxWindowSide && Cols <= MaxWindowSide;
}

uint16_t be16(llvm::StringRef S, size_t At) {
  return static_cast<uint16_t>((static_cast<unsigned char>(S[At]) << 8) |
                               static_cast<unsigned char>(S[At + 1]));
}

/// An error when \p Req speaks another version of the protocol.
std::optional<json::Object> checkVersion(const json::Object &Req) {
  const json::Value *V = Req.get("v");
  if (!V)
    return std::nullopt; // Clients before "v" was required speak version 1.
  llvm::Optional<int64_t> Version = V->getAsInteger();
  if (!Version)
    return refuse("\"v\" is the protocol version, an integer");
  if (*Version != ControlProtocolVersion)
    return refuse(fmt::format("protocol version {} asked; this connectorc "
                              "speaks version {}",
                              *Version, ControlProtocolVersion));
  return std::nullopt;
}

/// Finds the terminal \p T of the task \p Req names, and its id \p Id; the
/// refusal when there is none.
std::optional<json::Object> findTerminal(RunControl &Run,
                                         const json::Object &Req, Terminal *&T,
                                         std::string &Id) {
  llvm::Expected<Terminal *> Found =
      Run.terminal(Req.getString("task").getValueOr(""), Id);
  if (!Found)
    return refuse(llvm::toString(Found.takeError()));
  T = *Found;
  return std::nullopt;
}

json::Object sendText(RunControl &Run, const json::Object &Req) {
  llvm::Optional<llvm::StringRef> Text = Req.getString("text");
  if (!Text)
    return refuse("send needs a \"text\"");
  Terminal *T;
  std::string Id;
  if (std::optional<json::Object> Refused = findTerminal(Run, Req, T, Id))
    return std::move(*Refused);
  // Pasted as a terminal pastes (bracketed when the program asked for it,
  // so that a TUI takes it as text); then Enter.
  std::string Keys = T->screen().paste(*Text);
  if (Req.getBoolean("enter").getValueOr(true))
    Keys += "\r";
  T->input(Keys);
  return json::Object{{"ok", true}, {"task", Id}};
}

json::Object attach(RunControl &Run, const json::Object &Req,
                    std::set<std::string> &Writers, ControlAttachment &Conn) {
  if (Conn.Term)
    return refuse("this connection is attached already");
  Terminal *T;
  std::string Id;
  if (std::optional<json::Object> Refused = findTerminal(Run, Req, T, Id))
    return std::move(*Refused);
  bool Write = Req.getBoolean("write").getValueOr(false);
  if (Write && Writers.count(Id))
    return refuse("task '" + Id +
                  "' has a client typing into it already; watch it with "
                  "--read-only, or detach that one");
  Conn.Term = T;
  Conn.Task = Id;
  if (Write) {
    Conn.Writer = true;
    Writers.insert(Id);
    T->hold(true); // a person types: an interactive task waits for them
    int64_t Rows = Req.getInteger("rows").getValueOr(0);
    int64_t Cols = Req.getInteger("cols").getValueOr(0);
    if (isWindowSize(Rows, Cols))
      Conn.Term->resize(static_cast<unsigned>(Rows),
                        static_cast<unsigned>(Cols));
  }
  return json::Object{{"ok", true},
                      {"task", Id},
                      {"write", Conn.Writer},
                      {"rows", int64_t(Conn.Term->screen().rows())},
                      {"cols", int64_t(Conn.Term->screen().cols())}};
}

json::Object handleRequest(RunControl &Run, const json::Object &Req,
                           std::set<std::string> &Writers,
                           ControlAttachment &Conn) {
  if (std::optional<json::Object> Refused = checkVersion(Req))
    return std::move(*Refused);
  llvm::StringRef Op = Req.getString("op").getValueOr("");
  if (Op == "status") {
    json::Object A = Run.status();
    A["ok"] = true;
    return A;
  }
  if (Op == "stop") {
    if (llvm::Error E = Run.stop(Req.getString("task").getValueOr("")))
      return refuse(llvm::toString(std::move(E)));
    return json::Object{{"ok", true}};
  }
  if (Op == "done") {
    std::string Id;
    if (llvm::Error E = Run.done(Req.getString("task").getValueOr(""), Id))
      return refuse(llvm::toString(std::move(E)));
    return json::Object{{"ok", true}, {"task", Id}};
  }
  if (Op == "send")
    return sendText(Run, Req);
  if (Op == "attach")
    return attach(Run, Req, Writers, Conn);
  if (Op.empty())
    return refuse("a request needs an \"op\"");
  if (std::optional<json::Object> A = Run.call(Op, Req))
    return std::move(*A);
  return refuse("unknown op '" + Op + "' (docs/control-protocol.md)");
}
} // namespace

json::Object runtime::handleControlLine(RunControl &Run, llvm::StringRef Line,
                                        std::set<std::string> &Writers,
                                        ControlAttachment &Conn) {
  json::Object Answer;
  // LLVM's parser recurses a level at a time: a line of '[' would overflow
  // the run's stack (found by fuzzing the MCP server's twin of this).
  if (nestsDeeperThan(Line, MaxControlNesting)) {
    Answer = refuse(fmt::format("the request nests deeper than {} levels",
                                MaxControlNesting));
    Answer["v"] = ControlProtocolVersion;
    return Answer;
  }
  llvm::Expected<json::Value> V = json::parse(Line.rtrim("\r\n"));
  if (!V)
    Answer = refuse("not JSON: " + llvm::toString(V.takeError()));
  else if (!V->getAsObject())
    Answer = refuse("a request is a JSON object");
  else
    Answer = handleRequest(Run, *V->getAsObject(), Writers, Conn);
  Answer["v"] = ControlProtocolVersion;
  return Answer;
}

bool runtime::handleClientFrame(ControlAttachment &Conn, Frame F,
                                llvm::StringRef Payload) {
  switch (F) {
  case Frame::Input:
    if (Conn.Writer && Conn.Term)
      Conn.Term->input(Payload);
    return true;
  case Frame::Resize: {
    if (Payload.size() != 4)
      return false;
    unsigned Rows = be16(Payload, 0), Cols = be16(Payload, 2);
    // Out of range (a client's bug): ignored, as the attach request's is.
    if (Conn.Writer && Conn.Term && isWindowSize(Rows, Cols))
      Conn.Term->resize(Rows, Cols);
    return true;
  }
  case Frame::Detach:
    return false;
  case Frame::Output:
  case Frame::Closed:
    return false; // A server's frame.
  }
  return false; // Not a frame of the protocol.
}
