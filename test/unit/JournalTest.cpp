//===- JournalTest.cpp - self-checking journal lines ----------------------===//
#include "runtime/executor/Journal.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace connectorc::runtime;
namespace json = llvm::json;

namespace {
json::Object doneEvent(llvm::StringRef Task) {
  return json::Object{{"event", "task-done"},
                      {"task", Task},
                      {"status", "succeeded"},
                      {"duration_s", 0.025}};
}

std::string tempPath() {
  llvm::SmallString<128> Path;
  EXPECT_FALSE(llvm::sys::fs::createTemporaryFile("journal", "jsonl", Path));
  return std::string(Path);
}

std::string readAll(const std::string &Path) {
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  return Buf ? (*Buf)->getBuffer().str() : "";
}
} // namespace

TEST(JournalTest, LineRoundTrips) {
  std::string Line = encodeJournalLine(doneEvent("review/security"));
  EXPECT_EQ(Line.back(), '\n');
  EXPECT_NE(Line.find("\"duration_s\":0.025,"), std::string::npos) << Line;
  std::optional<json::Object> E = decodeJournalLine(Line);
  ASSERT_TRUE(E);
  EXPECT_EQ(eventString(*E, "task"), "review/security");
  EXPECT_EQ(eventNumber(*E, "duration_s"), 0.025);
  EXPECT_TRUE(decodeJournalLine(encodeJournalLine(json::Object{})));
}

TEST(JournalTest, DamagedLinesAreRejected) {
  std::string Line = encodeJournalLine(doneEvent("a/1"));
  // Every truncation (a torn write) and a flipped byte anywhere fail.
  for (size_t N = 0; N + 1 < Line.size(); ++N)
    EXPECT_FALSE(decodeJournalLine(llvm::StringRef(Line).take_front(N)))
        << "torn at " << N;
  for (size_t I = 0; I + 1 < Line.size(); ++I) {
    std::string Bad = Line;
    Bad[I] ^= 0x01;
    EXPECT_FALSE(decodeJournalLine(Bad)) << "flipped at " << I;
  }
  EXPECT_FALSE(decodeJournalLine("{\"event\":\"x\"}"));
  EXPECT_FALSE(decodeJournalLine("not json at all"));
}

TEST(JournalTest, TornLastLineIsIgnored) {
  std::string Text =
      encodeJournalLine(doneEvent("a/1")) + encodeJournalLine(doneEvent("a/2"));
  std::string Torn = encodeJournalLine(doneEvent("a/3"));
  Text += Torn.substr(0, Torn.size() / 2);
  unsigned Damaged = 0;
  std::vector<json::Object> Events = readJournalText(Text, &Damaged);
  ASSERT_EQ(Events.size(), 2u);
  EXPECT_EQ(eventString(Events[1], "task"), "a/2");
  EXPECT_EQ(Damaged, 1u);
}

TEST(JournalTest, AppendAfterCrashStartsOnAFreshLine) {
  std::string Path = tempPath();
  {
    std::error_code EC;
    llvm::raw_fd_ostream OS(Path, EC);
    std::string Torn = encodeJournalLine(doneEvent("a/1"));
    OS << Torn.substr(0, 20); // The crash tore this record.
  }
  {
    llvm::Expected<Journal> J = Journal::open(Path);
    ASSERT_TRUE(bool(J)) << llvm::toString(J.takeError());
    ASSERT_FALSE(J->append(doneEvent("a/2"), /*Sync=*/true));
    ASSERT_FALSE(J->append(doneEvent("a/3"), /*Sync=*/false));
  }
  llvm::Expected<std::vector<json::Object>> Events = readJournal(Path);
  ASSERT_TRUE(bool(Events));
  ASSERT_EQ(Events->size(), 2u);
  EXPECT_EQ(eventString((*Events)[0], "task"), "a/2");
  EXPECT_EQ(readAll(Path).find("a/1"), std::string::npos);
  llvm::sys::fs::remove(Path);
}

TEST(JournalTest, MissingJournalHasNoEvents) {
  llvm::Expected<std::vector<json::Object>> Events =
      readJournal("/nonexistent/dir/events.jsonl");
  ASSERT_TRUE(bool(Events));
  EXPECT_TRUE(Events->empty());
}
