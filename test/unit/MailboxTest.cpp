//===- MailboxTest.cpp - maildirs, message files and mailbox names --------===//
#include "runtime/executor/Mailbox.h"
#include "runtime/executor/SimAgent.h"

#include "ir/Plan.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <thread>

using namespace connectorc;
using namespace connectorc::runtime;

namespace {
/// A mail root in a fresh temporary directory, removed at the end.
class MailRoot : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> Dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("mail", Dir));
    Root = Dir.str().str();
    for (const char *Name : {"api", "storage", "ui"})
      ASSERT_FALSE(llvm::errorToBool(createMailbox(Root, Name)));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(Root); }

  /// The names of the files in \p Name's \p Sub directory.
  std::vector<std::string> files(llvm::StringRef Name, llvm::StringRef Sub) {
    std::vector<std::string> Out;
    std::error_code EC;
    for (llvm::sys::fs::directory_iterator
             It(Root + "/" + Name.str() + "/" + Sub.str(), EC),
         End;
         !EC && It != End; It.increment(EC))
      Out.push_back(llvm::sys::path::filename(It->path()).str());
    return Out;
  }

  MailMessage message(llvm::StringRef From, llvm::StringRef To,
                      llvm::StringRef Body) {
    return {From.str(), To.str(), "shapes", "2026-11-30T14:07:55.123Z",
            Body.str()};
  }

  std::string Root;
};

TEST_F(MailRoot, DeliverListReadMovesNewToCur) {
  llvm::Expected<std::string> Path =
      deliver(Root, message("api", "ui", "GET /export -> text/csv\n"));
  ASSERT_TRUE(bool(Path)) << llvm::toString(Path.takeError());
  EXPECT_EQ(llvm::sys::path::parent_path(*Path), Root + "/ui/new");
  std::vector<std::string> New = files("ui", "new");
  ASSERT_EQ(New.size(), 1u);

  llvm::Expected<std::vector<MailEntry>> Listed = listMail(Root, "ui");
  ASSERT_TRUE(bool(Listed));
  ASSERT_EQ(Listed->size(), 1u);
  EXPECT_FALSE((*Listed)[0].Seen);
  EXPECT_EQ((*Listed)[0].Message.From, "api");
  EXPECT_EQ((*Listed)[0].Message.Subject, "shapes");

  llvm::Expected<std::vector<MailEntry>> Read = readNewMail(Root, "ui");
  ASSERT_TRUE(bool(Read));
  ASSERT_EQ(Read->size(), 1u);
  const MailEntry &E = (*Read)[0];
  EXPECT_TRUE(E.Seen);
  EXPECT_EQ(E.Error, "");
  EXPECT_EQ(E.Message.To, "ui");
  EXPECT_EQ(E.Message.Date, "2026-11-30T14:07:55.123Z");
  EXPECT_EQ(E.Message.Body, "GET /export -> text/csv\n");
  EXPECT_TRUE(files("ui", "new").empty());
  EXPECT_EQ(files("ui", "cur"), std::vector<std::string>{New[0] + ":2,S"});

  llvm::Expected<std::vector<MailEntry>> Again = readNewMail(Root, "ui");
  ASSERT_TRUE(bool(Again));
  EXPECT_TRUE(Again->empty()) << "a message is read once";
  Listed = listMail(Root, "ui");
  ASSERT_TRUE(bool(Listed));
  ASSERT_EQ(Listed->size(), 1u);
  EXPECT_TRUE((*Listed)[0].Seen);
  EXPECT_EQ((*Listed)[0].Name, New[0]);
}

TEST_F(MailRoot, MessagesComeOldestFirst) {
  for (const char *Body : {"one", "two", "three"})
    ASSERT_TRUE(bool(deliver(Root, message("api", "storage", Body))));
  llvm::Expected<std::vector<MailEntry>> Read = readNewMail(Root, "storage");
  ASSERT_TRUE(bool(Read));
  ASSERT_EQ(Read->size(), 3u);
  EXPECT_EQ((*Read)[0].Message.Body, "one");
  EXPECT_EQ((*Read)[1].Message.Body, "two");
  EXPECT_EQ((*Read)[2].Message.Body, "three");
}

TEST_F(MailRoot, DeliveryLeavesNothingInTmpAndReadersIgnoreTmp) {
  ASSERT_TRUE(bool(deliver(Root, message("ui", "api", "whole"))));
  EXPECT_TRUE(files("api", "tmp").empty());
  // What a sender killed mid-write leaves: half a message in tmp/.
  {
    std::error_code EC;
    llvm::raw_fd_ostream Half(Root + "/api/tmp/1.M000001P1R0Q1.host", EC);
    ASSERT_FALSE(EC);
    Half << "From: ui\nTo: api\nSubj";
  }
  llvm::Expected<std::vector<MailEntry>> Listed = listMail(Root, "api");
  ASSERT_TRUE(bool(Listed));
  EXPECT_EQ(Listed->size(), 1u);
  llvm::Expected<std::vector<MailEntry>> Read = readNewMail(Root, "api");
  ASSERT_TRUE(bool(Read));
  ASSERT_EQ(Read->size(), 1u);
  EXPECT_EQ((*Read)[0].Message.Body, "whole");
  EXPECT_EQ(files("api", "tmp").size(), 1u) << "tmp/ is never delivered";
}

TEST_F(MailRoot, BroadcastReachesEveryOtherMailboxButNotOneself) {
  // A directory without new/ is not a mailbox.
  ASSERT_FALSE(llvm::sys::fs::create_directories(Root + "/stray/cur"));
  EXPECT_EQ(listMailboxes(Root),
            (std::vector<std::string>{"api", "storage", "ui"}));
  EXPECT_EQ(recipients(Root, "storage", "all"),
            (std::vector<std::string>{"api", "ui"}));
  EXPECT_EQ(recipients(Root, "storage", "ui"), std::vector<std::string>{"ui"});
  EXPECT_EQ(recipients(Root, "outsider", "all"),
            (std::vector<std::string>{"api", "storage", "ui"}));
}

TEST_F(MailRoot, HeaderInjectionIsRejectedAndNothingIsWritten) {
  MailMessage M = message("api", "ui", "body");
  M.Subject = "hi\nTo: storage";
  llvm::Expected<std::string> Text = formatMessage(M);
  ASSERT_FALSE(bool(Text));
  EXPECT_NE(llvm::toString(Text.takeError()).find("line break"),
            std::string::npos);
  llvm::Expected<std::string> Path = deliver(Root, M);
  ASSERT_FALSE(bool(Path));
  llvm::consumeError(Path.takeError());
  M.Subject = "carriage\rreturn";
  Path = deliver(Root, M);
  ASSERT_FALSE(bool(Path));
  llvm::consumeError(Path.takeError());
  EXPECT_TRUE(files("ui", "tmp").empty());
  EXPECT_TRUE(files("ui", "new").empty());

  M.Subject = "ok";
  for (const char *Bad : {"", ".", "..", "a/b", "x\ny"}) {
    M.From = Bad;
    llvm::Expected<std::string> T = formatMessage(M);
    EXPECT_FALSE(bool(T)) << "From: '" << Bad << "'";
    llvm::consumeError(T.takeError());
  }
  M.From = "api";
  M.To = "../storage";
  Path = deliver(Root, M);
  EXPECT_FALSE(bool(Path)) << "a recipient stays inside the mail root";
  llvm::consumeError(Path.takeError());
}

TEST_F(MailRoot, DeliveryToAMissingMailboxFails) {
  llvm::Expected<std::string> Path =
      deliver(Root, message("api", "nobody", "x"));
  ASSERT_FALSE(bool(Path));
  EXPECT_NE(llvm::toString(Path.takeError()).find("no mailbox 'nobody'"),
            std::string::npos);
}

TEST(Mailbox, MessageTextRoundTripsWhateverTheBodyHolds) {
  MailMessage M{"a", "b", "re: x", "2026-11-30T14:07:55.123Z",
                "line\n\nFrom: forged\nTo: c\n\n\x01 binary\n"};
  llvm::Expected<std::string> Text = formatMessage(M);
  ASSERT_TRUE(bool(Text));
  EXPECT_EQ(*Text, "From: a\nTo: b\nSubject: re: x\n"
                   "Date: 2026-11-30T14:07:55.123Z\n\n" +
                       M.Body);
  llvm::Expected<MailMessage> Back = parseMessage(*Text);
  ASSERT_TRUE(bool(Back));
  EXPECT_EQ(Back->From, "a");
  EXPECT_EQ(Back->To, "b");
  EXPECT_EQ(Back->Subject, "re: x");
  EXPECT_EQ(Back->Body, M.Body);
  for (const char *Bad : {"From: a\nTo: b\nDate: d\n", "To: b\nDate: d\n\nx",
                          "", "From: a\nTo: b\n\nno date"}) {
    llvm::Expected<MailMessage> P = parseMessage(Bad);
    EXPECT_FALSE(bool(P)) << Bad;
    llvm::consumeError(P.takeError());
  }
}

TEST(Mailbox, MessageNamesAreUniqueAndSortByTime) {
  llvm::StringSet<> Seen;
  std::string Previous;
  for (unsigned I = 0; I < 2000; ++I) {
    std::string Name = uniqueMessageName();
    EXPECT_TRUE(Seen.insert(Name).second) << Name;
    EXPECT_EQ(Name.find('/'), std::string::npos);
    EXPECT_EQ(Name.find(':'), std::string::npos) << "':' starts cur/'s flags";
    EXPECT_LE(Previous.substr(0, Previous.find('P')),
              Name.substr(0, Name.find('P')));
    Previous = Name;
  }
  // Another thread (as another process would) gets other names too.
  std::vector<std::string> Theirs(500);
  std::thread Other([&] {
    for (std::string &N : Theirs)
      N = uniqueMessageName();
  });
  Other.join();
  for (const std::string &N : Theirs)
    EXPECT_TRUE(Seen.insert(N).second) << N;
}

TEST_F(MailRoot, WaitingEndsWhenMailArrivesOrTimeIsUp) {
  llvm::Expected<std::vector<MailEntry>> None = waitForMail(Root, "ui", 0.05);
  ASSERT_TRUE(bool(None));
  EXPECT_TRUE(None->empty());
  std::thread Sender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    llvm::cantFail(deliver(Root, message("api", "ui", "late")));
  });
  llvm::Expected<std::vector<MailEntry>> Got = waitForMail(Root, "ui", 30);
  Sender.join();
  ASSERT_TRUE(bool(Got));
  ASSERT_EQ(Got->size(), 1u);
  EXPECT_EQ((*Got)[0].Message.Body, "late");
}

TEST_F(MailRoot, SimGreetsEveryOtherMailboxThenReadsItsOwn) {
  SimRequest R;
  R.MailDir = Root;
  R.MailName = "api";
  R.Task = "mesh/api";
  EXPECT_EQ(simMail(R), "## Mail\n\n- sent 2 messages to storage, ui\n"
                        "- read 0 messages\n");
  R.MailName = "ui";
  R.Task = "mesh/ui";
  EXPECT_EQ(simMail(R), "## Mail\n\n- sent 2 messages to api, storage\n"
                        "- read 1 message from api\n");
  llvm::Expected<std::vector<MailEntry>> Storage = listMail(Root, "storage");
  ASSERT_TRUE(bool(Storage));
  ASSERT_EQ(Storage->size(), 2u);
  EXPECT_EQ((*Storage)[0].Message.Subject, "hello from api");
  EXPECT_EQ((*Storage)[0].Message.Body, "api (mesh/api) says hello.\n");
  EXPECT_EQ((*Storage)[1].Message.From, "ui");
  // Without a mailbox the sim says nothing of mail.
  R.MailDir.clear();
  EXPECT_EQ(simMail(R), "");
}

ir::Task mailTask(llvm::StringRef Id, llvm::StringRef Worker, bool Mailbox) {
  ir::Task T;
  T.Id = Id.str();
  T.WorkerName = Worker.str();
  T.Mailbox = Mailbox;
  return T;
}

TEST(MailboxName, WorkerNameUnlessAnotherMailboxTaskSharesIt) {
  ir::Plan P;
  P.Tasks = {mailTask("mesh/api", "api", true), mailTask("mesh/ui", "ui", true),
             mailTask("review/1", "1", true), mailTask("review/2", "2", true),
             mailTask("fix/1", "1", true), mailTask("team/inner/2", "2", true),
             // Without a mailbox, a namesake does not count.
             mailTask("other/api", "api", false)};
  EXPECT_EQ(ir::mailboxName(P, 0), "api");
  EXPECT_EQ(ir::mailboxName(P, 1), "ui");
  EXPECT_EQ(ir::mailboxName(P, 2), "review.1");
  EXPECT_EQ(ir::mailboxName(P, 3), "review.2");
  EXPECT_EQ(ir::mailboxName(P, 4), "fix.1");
  EXPECT_EQ(ir::mailboxName(P, 5), "team.inner.2");
}
} // namespace
