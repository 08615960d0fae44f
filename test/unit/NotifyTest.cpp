//===- NotifyTest.cpp - webhook URLs, the notify config, what is sent -----===//
#include "runtime/daemon/Notify.h"
#include "ir/WebhookUrl.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace connectorc;
using namespace connectorc::runtime;

namespace {
ir::WebhookUrl parsed(llvm::StringRef Text) {
  std::string Why;
  std::optional<ir::WebhookUrl> U = ir::parseWebhookUrl(Text, Why);
  EXPECT_TRUE(U) << Text.str() << ": " << Why;
  return U ? *U : ir::WebhookUrl();
}

std::string whyNot(llvm::StringRef Text) {
  std::string Why;
  EXPECT_FALSE(ir::parseWebhookUrl(Text, Why)) << Text.str();
  return Why;
}

/// A config file with \p Text, removed with the fixture.
class NotifyConfigTest : public ::testing::Test {
protected:
  void write(llvm::StringRef Text) {
    llvm::SmallString<128> P;
    ASSERT_FALSE(
        llvm::sys::fs::createTemporaryFile("notify-config", "json", P));
    Path = std::string(P);
    std::error_code EC;
    llvm::raw_fd_ostream OS(Path, EC);
    OS << Text;
  }
  void TearDown() override {
    if (!Path.empty())
      llvm::sys::fs::remove(Path);
  }
  std::string Path;
};
} // namespace

TEST(WebhookUrlTest, SplitsWhatARequestNeeds) {
  ir::WebhookUrl U = parsed("https://hooks.example.com/services/T0/B1?x=1#f");
  EXPECT_TRUE(U.Tls);
  EXPECT_EQ(U.Host, "hooks.example.com");
  EXPECT_EQ(U.Port, "443");
  EXPECT_EQ(U.Target, "/services/T0/B1?x=1");
  EXPECT_EQ(U.Path, "/services/T0/B1");
  ir::WebhookUrl L = parsed("HTTP://127.0.0.1:8080?token=t");
  EXPECT_FALSE(L.Tls);
  EXPECT_EQ(L.Port, "8080");
  EXPECT_EQ(L.Target, "/?token=t");
  ir::WebhookUrl V6 = parsed("http://[::1]:9000/h");
  EXPECT_EQ(V6.Host, "::1");
  EXPECT_EQ(V6.shown(), "http://[::1]:9000/h");
}

TEST(WebhookUrlTest, ShowsNoQueryNoFragmentNoDefaultPort) {
  EXPECT_EQ(parsed("https://ntfy.sh:443/topic?auth=secret#x").shown(),
            "https://ntfy.sh/topic");
  EXPECT_EQ(ir::redactWebhookUrl("http://h:81/a/b?k=v"), "http://h:81/a/b");
  EXPECT_EQ(ir::redactWebhookUrl("https://u:secret@h/"), "(an invalid URL)");
}

TEST(WebhookUrlTest, RefusesWhatCannotBePostedTo) {
  EXPECT_EQ(whyNot("ftp://h/x"), "a webhook is an http:// or https:// URL");
  EXPECT_EQ(whyNot("https:///path"), "the URL has no host");
  EXPECT_EQ(whyNot("https://h:0/"), "the port is not a number from 1 to 65535");
  EXPECT_EQ(whyNot("https://h:/"), "the port is empty");
  EXPECT_NE(whyNot("https://a b/").find("space"), std::string::npos);
  EXPECT_NE(whyNot("https://u:p@h/").find("user information"),
            std::string::npos);
  EXPECT_EQ(whyNot("http://[::1/"), "an IPv6 address has no closing ']'");
}

TEST_F(NotifyConfigTest, ReadsTheUserFileThenThePlan) {
  write(R"({"notify": {"webhook": "http://127.0.0.1:1/a", "timeout_s": 2,
                       "desktop": false, "bell": false}})");
  ir::Plan P;
  P.Notify.Webhook = "https://example.com/b?t=1";
  std::vector<std::string> Warnings;
  NotifyConfig C = loadNotifyConfig(P, Path, Warnings);
  EXPECT_TRUE(Warnings.empty());
  ASSERT_EQ(C.Webhooks.size(), 2u);
  EXPECT_EQ(C.Webhooks[0].Url.shown(), "http://127.0.0.1:1/a");
  EXPECT_EQ(C.Webhooks[0].TimeoutS, 2);
  EXPECT_EQ(C.Webhooks[1].Url.shown(), "https://example.com/b");
  EXPECT_EQ(C.Webhooks[1].TimeoutS, DefaultWebhookTimeoutS);
  EXPECT_FALSE(C.Desktop);
  EXPECT_FALSE(C.Bell);
}

TEST_F(NotifyConfigTest, TheSameWebhookTwiceIsToldOnce) {
  write(R"({"notify": {"webhook": "https://example.com/b?t=1"}})");
  ir::Plan P;
  P.Notify.Webhook = "https://example.com/b?t=1";
  std::vector<std::string> Warnings;
  EXPECT_EQ(loadNotifyConfig(P, Path, Warnings).Webhooks.size(), 1u);
}

TEST_F(NotifyConfigTest, WhatCannotBeUsedIsAWarningNotAFailure) {
  write(R"({"notify": {"webhook": "ftp://x/?token=s3cret", "timeout_s": -1,
                       "bell": "yes", "colour": 1}})");
  std::vector<std::string> Warnings;
  NotifyConfig C = loadNotifyConfig(ir::Plan(), Path, Warnings);
  EXPECT_TRUE(C.Webhooks.empty());
  EXPECT_TRUE(C.Bell);
  ASSERT_EQ(Warnings.size(), 4u);
  for (const std::string &W : Warnings)
    EXPECT_EQ(W.find("s3cret"), std::string::npos) << W;
  EXPECT_NE(Warnings[0].find("unknown key notify.colour"), std::string::npos);
}

TEST_F(NotifyConfigTest, NoFileNoNotificationsButTheDesktop) {
  std::vector<std::string> Warnings;
  NotifyConfig C =
      loadNotifyConfig(ir::Plan(), "/nonexistent/connectorc.json", Warnings);
  EXPECT_TRUE(Warnings.empty());
  EXPECT_TRUE(C.Webhooks.empty());
  EXPECT_TRUE(C.Desktop);
  EXPECT_TRUE(C.Bell);
}

TEST(NotifyTest, WebhookBodySaysWhoWaitsAndOnWhat) {
  llvm::json::Object E{{"event", "session-state"},
                       {"task", "ask/1"},
                       {"state", "waiting for input"},
                       {"last_line", "Trust? [y/N]"},
                       {"time", "2026-12-07T23:00:00.000Z"}};
  EXPECT_EQ(webhookBody(E, "r1", "wf"),
            R"({"event":"waiting-for-input","last_line":"Trust? [y/N]",)"
            R"("run":"r1","task":"ask/1","time":"2026-12-07T23:00:00.000Z",)"
            R"("workflow":"wf"})");
}

TEST(NotifyTest, NotifySendGetsNoOptionFromTheAgent) {
  std::vector<std::string> A =
      notifySendArgv("/usr/bin/notify-send", "t/1", "-u critical <b>&</b>");
  ASSERT_EQ(A.size(), 6u);
  EXPECT_EQ(A[3], "--");
  EXPECT_EQ(A[4], "connectorc: t/1 is waiting for input");
  EXPECT_EQ(A[5], "-u critical &lt;b&gt;&amp;&lt;/b&gt;");
}
