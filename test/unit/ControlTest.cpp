//===- ControlTest.cpp - the control server's requests and frames ---------===//
#include "FakeControl.h"

#include <gtest/gtest.h>

using namespace connectorc::runtime;
namespace json = llvm::json;

namespace {
/// A connection to a server for a run of tasks a/1 and b/1.
struct Served {
  FakeRun Run{{"a/1", "b/1"}};
  std::set<std::string> Writers;
  ControlAttachment Conn;
  json::Object line(llvm::StringRef Line) {
    return handleControlLine(Run, Line, Writers, Conn);
  }
};

std::string error(const json::Object &Answer) {
  EXPECT_EQ(Answer.getBoolean("ok"), false);
  return Answer.getString("error").getValueOr("(none)").str();
}

std::string resizeFrame(unsigned Rows, unsigned Cols) {
  std::string P = {char(Rows >> 8), char(Rows & 0xff), char(Cols >> 8),
                   char(Cols & 0xff)};
  return P;
}

/// The frames \p Stream splits into, fed \p Read bytes at a time.
std::vector<std::pair<char, std::string>>
splitInReads(llvm::StringRef Stream, size_t Read, bool &Ok, std::string &Left) {
  std::vector<std::pair<char, std::string>> Got;
  Ok = true;
  Left.clear();
  for (size_t At = 0; At < Stream.size() && Ok; At += Read) {
    Left += Stream.substr(At, Read).str();
    Ok = splitFrames(Left, [&](Frame F, llvm::StringRef P) {
      Got.emplace_back(static_cast<char>(F), P.str());
      return true;
    });
  }
  return Got;
}
} // namespace

TEST(ControlTest, StatusAnswersWithTheVersion) {
  Served S;
  json::Object A = S.line(R"({"v":1,"op":"status"})"
                          "\r\n");
  EXPECT_EQ(A.getBoolean("ok"), true);
  EXPECT_EQ(A.getInteger("v").getValueOr(-1), ControlProtocolVersion);
  EXPECT_EQ(A.getArray("tasks")->size(), 2u);
  // A request without "v" is version 1's.
  EXPECT_EQ(S.line(R"({"op":"status"})").getBoolean("ok"), true);
}

TEST(ControlTest, MalformedRequestsAreRefusedWithAReason) {
  Served S;
  EXPECT_EQ(error(S.line("{\"op\":")).rfind("not JSON: ", 0), 0u);
  EXPECT_EQ(error(S.line("")).rfind("not JSON: ", 0), 0u);
  EXPECT_EQ(error(S.line("[1,2]")), "a request is a JSON object");
  EXPECT_EQ(error(S.line(R"({"v":2,"op":"status"})")),
            "protocol version 2 asked; this connectorc speaks version 1");
  EXPECT_EQ(error(S.line(R"({"v":"1","op":"status"})")),
            "\"v\" is the protocol version, an integer");
  EXPECT_EQ(error(S.line(R"({"v":1})")), "a request needs an \"op\"");
  EXPECT_EQ(error(S.line(R"({"v":1,"op":"reboot"})")),
            "unknown op 'reboot' (docs/control-protocol.md)");
  // A line of '[' is refused before the parser (which recurses) sees it.
  EXPECT_EQ(error(S.line(std::string(100000, '['))),
            "the request nests deeper than 64 levels");
  // Every answer says its version, refusals too.
  EXPECT_EQ(S.line("nonsense").getInteger("v").getValueOr(-1),
            ControlProtocolVersion);
  EXPECT_EQ(S.Conn.Term, nullptr);
}

TEST(ControlTest, OtherOpsGoToTheRun) {
  Served S;
  EXPECT_EQ(S.line(R"({"v":1,"op":"ping"})").getBoolean("ok"), true);
}

TEST(ControlTest, StopAndSend) {
  Served S;
  EXPECT_EQ(S.line(R"({"op":"stop","task":"b/1"})").getBoolean("ok"), true);
  EXPECT_EQ(error(S.line(R"({"op":"stop","task":"c/1"})")),
            "no task 'c/1' is running");
  EXPECT_EQ(S.Run.Stopped, std::vector<std::string>{"b/1"});
  EXPECT_EQ(error(S.line(R"({"op":"send","task":"a/1"})")),
            "send needs a \"text\"");
  json::Object A = S.line(R"({"op":"send","task":"a/1","text":"yes"})");
  EXPECT_EQ(A.getString("task"), llvm::StringRef("a/1"));
  S.line(R"({"op":"send","task":"a/1","text":"!","enter":false})");
  EXPECT_EQ(S.Run.task("a/1").Typed, "yes\r!");
}

TEST(ControlTest, AttachOneWriterATaskAndItsWindow) {
  Served S;
  json::Object A = S.line(
      R"({"op":"attach","task":"a/1","write":true,"rows":30,"cols":100})");
  EXPECT_EQ(A.getBoolean("ok"), true);
  EXPECT_EQ(S.Run.task("a/1").Resizes,
            (std::vector<std::pair<unsigned, unsigned>>{{30, 100}}));
  // The answer says the screen's size (the fake's stays 24x80).
  EXPECT_EQ(A.getInteger("rows").getValueOr(-1), 24);
  EXPECT_EQ(S.Conn.Term, &S.Run.task("a/1"));
  EXPECT_TRUE(S.Conn.Writer);
  EXPECT_EQ(S.Writers.count("a/1"), 1u);
  EXPECT_EQ(error(S.line(R"({"op":"attach","task":"b/1"})")),
            "this connection is attached already");

  Served Other;
  Other.Writers = S.Writers;
  EXPECT_EQ(error(Other.line(R"({"op":"attach","task":"a/1","write":true})"))
                .rfind("task 'a/1' has a client typing into it already", 0),
            0u);
  // A viewer may watch it; a window it asks for is not the agent's.
  A = Other.line(R"({"op":"attach","task":"a/1","rows":5,"cols":5})");
  EXPECT_EQ(A.getBoolean("write"), false);
  EXPECT_EQ(Other.Run.task("a/1").Resizes.size(), 0u);
}

TEST(ControlTest, AttachIgnoresAWindowOutOfRange) {
  Served S;
  S.line(R"({"op":"attach","task":"a/1","write":true,"rows":0,"cols":80})");
  Served T;
  T.line(R"({"op":"attach","task":"a/1","write":true,"rows":24,"cols":1001})");
  EXPECT_TRUE(S.Run.task("a/1").Resizes.empty());
  EXPECT_TRUE(T.Run.task("a/1").Resizes.empty());
  Served U;
  EXPECT_EQ(error(U.line(R"({"op":"attach"})")), "no task '' is running");
}

TEST(ControlTest, FramesSplitAcrossReadsAreTheSameFrames) {
  std::string Stream = encodeFrame(Frame::Input, "hello") +
                       encodeFrame(Frame::Resize, resizeFrame(40, 120)) +
                       encodeFrame(Frame::Input, "") +
                       encodeFrame(Frame::Input, std::string(70000, 'x')) +
                       encodeFrame(Frame::Detach, "");
  bool Ok;
  std::string Left;
  auto Whole = splitInReads(Stream, Stream.size(), Ok, Left);
  ASSERT_TRUE(Ok);
  EXPECT_EQ(Whole.size(), 5u);
  EXPECT_EQ(Whole[0], std::make_pair('i', std::string("hello")));
  EXPECT_EQ(Whole[3].second.size(), 70000u);
  EXPECT_TRUE(Left.empty());
  for (size_t Read : {1, 2, 3, 5, 7, 4096}) {
    EXPECT_EQ(splitInReads(Stream, Read, Ok, Left), Whole) << Read;
    EXPECT_TRUE(Ok && Left.empty()) << Read;
  }
  // A partial frame waits in the buffer for the rest.
  auto Part =
      splitInReads(llvm::StringRef(Stream).drop_back(3), 4096, Ok, Left);
  EXPECT_EQ(Part.size(), 4u);
  EXPECT_EQ(Left.size(), 2u);
}

TEST(ControlTest, AnOversizedFrameIsRefusedBeforeItsPayload) {
  std::string Header = encodeFrame(Frame::Input, "").substr(0, 1);
  uint32_t N = MaxFrame + 1;
  for (int I = 0; I < 4; ++I)
    Header += char((N >> (24 - 8 * I)) & 0xff);
  bool Ok;
  std::string Left;
  auto Got =
      splitInReads(encodeFrame(Frame::Input, "ok") + Header, 4096, Ok, Left);
  EXPECT_FALSE(Ok);
  EXPECT_EQ(Got.size(), 1u);
  // The largest allowed length is only waited for.
  std::string Max = encodeFrame(Frame::Input, std::string(MaxFrame, 'y'));
  Got = splitInReads(llvm::StringRef(Max).drop_back(1), 65536, Ok, Left);
  EXPECT_TRUE(Ok);
  EXPECT_TRUE(Got.empty());
}

TEST(ControlTest, ClientFramesReachAWritersTerminalOnly) {
  Served S;
  S.line(R"({"op":"attach","task":"a/1","write":true})");
  FakeTerminal &T = S.Run.task("a/1");
  EXPECT_TRUE(handleClientFrame(S.Conn, Frame::Input, "ls"));
  EXPECT_TRUE(handleClientFrame(S.Conn, Frame::Resize, resizeFrame(40, 120)));
  EXPECT_TRUE(handleClientFrame(S.Conn, Frame::Resize, resizeFrame(0, 120)));
  EXPECT_TRUE(handleClientFrame(S.Conn, Frame::Resize, resizeFrame(65535, 9)));
  EXPECT_EQ(T.Typed, "ls");
  EXPECT_EQ(T.Resizes, (std::vector<std::pair<unsigned, unsigned>>{{40, 120}}));
  EXPECT_EQ(T.screen().line(0), "ls");

  Served V;
  V.line(R"({"op":"attach","task":"a/1"})");
  EXPECT_TRUE(handleClientFrame(V.Conn, Frame::Input, "rm"));
  EXPECT_TRUE(handleClientFrame(V.Conn, Frame::Resize, resizeFrame(9, 9)));
  EXPECT_TRUE(V.Run.task("a/1").Typed.empty());
  EXPECT_TRUE(V.Run.task("a/1").Resizes.empty());
}

TEST(ControlTest, DetachAndMalformedFramesEndTheConnection) {
  Served S;
  S.line(R"({"op":"attach","task":"a/1","write":true})");
  EXPECT_FALSE(handleClientFrame(S.Conn, Frame::Detach, ""));
  EXPECT_FALSE(handleClientFrame(S.Conn, Frame::Resize, "abc"));
  EXPECT_FALSE(handleClientFrame(S.Conn, Frame::Output, "x"));
  EXPECT_FALSE(handleClientFrame(S.Conn, Frame::Closed, ""));
  EXPECT_FALSE(handleClientFrame(S.Conn, static_cast<Frame>('?'), ""));
  // The session ended (the server clears the terminal): keys go nowhere.
  S.Conn.Term = nullptr;
  EXPECT_TRUE(handleClientFrame(S.Conn, Frame::Input, "late"));
}
