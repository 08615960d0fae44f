//===- HttpServerTest.cpp - the HTTP server's requests and token ----------===//
//
// handleHttpRequest without a socket, against the real operations in an
// empty runtime directory and project; the token file; --listen.
//
//===----------------------------------------------------------------------===//
#include "FakeHttp.h"

#include "llvm/Support/FileSystem.h"

#include <boost/beast/http/verb.hpp>
#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace connectorc;
using namespace connectorc::server;
namespace http = boost::beast::http;
namespace json = llvm::json;

namespace {
class HttpServerTest : public ::testing::Test {
protected:
  HttpRequest request(http::verb V, std::string Target, std::string Body = "",
                      bool Token = true) {
    HttpRequest R{V, Target, 11};
    R.set(http::field::host, "127.0.0.1:7878");
    if (Token)
      R.set(http::field::authorization, "Bearer " + Ctx.Token);
    if (!Body.empty()) {
      R.set(http::field::content_type, "application/json");
      R.body() = Body;
      R.prepare_payload();
    }
    return R;
  }
  /// The status and, for a problem document, the end of its type.
  std::pair<unsigned, std::string> call(const HttpRequest &R) {
    HttpAnswer A = handleHttpRequest(R, Ctx);
    std::string Kind;
    if (A.Response[http::field::content_type] == "application/problem+json") {
      llvm::Expected<json::Value> V = json::parse(A.Response.body());
      EXPECT_TRUE(static_cast<bool>(V));
      if (V)
        Kind = llvm::StringRef(*V->getAsObject()->getString("type"))
                   .rsplit("#problem-")
                   .second.str();
      else
        llvm::consumeError(V.takeError());
    }
    return {A.Response.result_int(), Kind};
  }

  fakes::EmptyServer W{std::string(64, 'f')};
  RequestContext &Ctx = W.Ctx;
};
} // namespace

TEST_F(HttpServerTest, TheTokenIsNeeded) {
  EXPECT_EQ(call(request(http::verb::get, "/api/v1/runs", "", false)),
            std::make_pair(401u, std::string("unauthorized")));
  HttpRequest Wrong = request(http::verb::get, "/api/v1/runs", "", false);
  Wrong.set(http::field::authorization, "Bearer " + std::string(64, 'e'));
  EXPECT_EQ(call(Wrong).first, 401u);
  HttpRequest Cookie = request(http::verb::get, "/api/v1/runs", "", false);
  Cookie.set(http::field::cookie, "a=b; connectorc_token=" + Ctx.Token);
  EXPECT_EQ(call(Cookie).first, 200u);
  EXPECT_EQ(call(request(http::verb::get, "/api/v1/runs")).first, 200u);
}

TEST_F(HttpServerTest, ForeignHostAndOriginAreRefusedFirst) {
  HttpRequest R = request(http::verb::get, "/api/v1/runs", "", false);
  R.set(http::field::host, "rebound.example:7878");
  EXPECT_EQ(call(R), std::make_pair(403u, std::string("forbidden-host")));
  HttpRequest O = request(http::verb::get, "/api/v1/runs");
  O.set(http::field::origin, "http://evil.example");
  EXPECT_EQ(call(O), std::make_pair(403u, std::string("forbidden-origin")));
  O.set(http::field::origin, "http://localhost:7878");
  EXPECT_EQ(call(O).first, 200u);
  HttpRequest None = request(http::verb::get, "/api/v1/runs");
  None.erase(http::field::host);
  EXPECT_EQ(call(None).first, 403u);
}

TEST_F(HttpServerTest, TheTokenUrlSetsTheCookie) {
  HttpRequest R =
      request(http::verb::get, "/api/v1/runs?token=" + Ctx.Token, "", false);
  HttpAnswer A = handleHttpRequest(R, Ctx);
  EXPECT_EQ(A.Response.result_int(), 303u);
  EXPECT_EQ(A.Response[http::field::location], "/api/v1/runs");
  std::string Cookie(A.Response[http::field::set_cookie]);
  EXPECT_NE(Cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(Cookie.find("SameSite=Strict"), std::string::npos);
}

TEST_F(HttpServerTest, BadInputIsAProblem) {
  EXPECT_EQ(call(request(http::verb::post, "/api/v1/runs", "{\"spec\":")),
            std::make_pair(400u, std::string("bad-request")));
  EXPECT_EQ(call(request(http::verb::post, "/api/v1/runs", "[]")).first, 400u);
  EXPECT_EQ(
      call(request(http::verb::post, "/api/v1/runs", "{\"jobs\": \"many\"}"))
          .first,
      400u);
  EXPECT_EQ(call(request(http::verb::post, "/api/v1/runs",
                         std::string(200000, '['))),
            std::make_pair(400u, std::string("bad-request")));
  EXPECT_EQ(call(request(http::verb::get, "/api/v1/runs/nope")),
            std::make_pair(404u, std::string("not-found")));
  EXPECT_EQ(call(request(http::verb::get, "/api/v1/runs/%2e%2e")).first, 400u);
  EXPECT_EQ(call(request(http::verb::get, "/api/v1/runs/a%zz")).first, 400u);
  EXPECT_EQ(call(request(http::verb::post, "/api/v1/runs",
                         "{\"spec_path\": \"/etc/passwd\"}")),
            std::make_pair(403u, std::string("forbidden")));
  EXPECT_EQ(call(request(http::verb::delete_, "/api/v1/runs")).first, 405u);
  EXPECT_EQ(call(request(http::verb::get, "/api/v1/nothing")).first, 404u);
  EXPECT_EQ(call(request(http::verb::get, "/")).first, 404u);
  // Without a compiler (the driver gives one), lint is the server's fault.
  EXPECT_EQ(call(request(http::verb::post, "/api/v1/lint", "{\"spec\": \"{}\"}"))
                .first,
            500u);
  EXPECT_EQ(call(request(http::verb::post, "/api/v1/lint", "{}")).first, 400u);
}

TEST_F(HttpServerTest, UpgradesAreAnsweredAfterTheChecks) {
  HttpAnswer A =
      handleHttpRequest(request(http::verb::get, "/api/v1/events"), Ctx);
  EXPECT_EQ(A.Kind, HttpAnswer::Upgrade::Events);
  EXPECT_EQ(A.Run, "");
  EXPECT_EQ(call(request(http::verb::get, "/api/v1/events?run=nope")).first,
            404u);
  EXPECT_EQ(handleHttpRequest(request(http::verb::get, "/api/v1/events", "",
                                      false),
                              Ctx)
                .Kind,
            HttpAnswer::Upgrade::None);
  // A terminal without the WebSocket upgrade.
  EXPECT_EQ(call(request(http::verb::get, "/api/v1/runs/r/tasks/a/1/terminal"))
                .first,
            426u);
}

TEST_F(HttpServerTest, OpenApiIsServed) {
  HttpAnswer A =
      handleHttpRequest(request(http::verb::get, "/api/v1/openapi.json"), Ctx);
  ASSERT_EQ(A.Response.result_int(), 200u);
  llvm::Expected<json::Value> V = json::parse(A.Response.body());
  ASSERT_TRUE(static_cast<bool>(V));
  EXPECT_EQ(V->getAsObject()->getString("openapi"), llvm::StringRef("3.1.0"));
}

TEST(HttpToken, MadeOnceAndPrivate) {
  llvm::SmallString<128> Dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("http-token", Dir));
  std::string File = (Dir + "/sub/token").str();
  llvm::Expected<std::string> T = loadOrCreateToken(File);
  ASSERT_TRUE(static_cast<bool>(T)) << llvm::toString(T.takeError());
  EXPECT_EQ(T->size(), 64u);
  struct stat St {};
  ASSERT_EQ(::stat(File.c_str(), &St), 0);
  EXPECT_EQ(St.st_mode & 0777, 0600u);
  llvm::Expected<std::string> Again = loadOrCreateToken(File);
  ASSERT_TRUE(static_cast<bool>(Again));
  EXPECT_EQ(*Again, *T);
  ::chmod(File.c_str(), 0640);
  llvm::Expected<std::string> Open = loadOrCreateToken(File);
  EXPECT_FALSE(static_cast<bool>(Open));
  llvm::consumeError(Open.takeError());
  llvm::sys::fs::remove_directories(Dir);
}

TEST(HttpToken, MatchesOnlyItself) {
  EXPECT_TRUE(tokenMatches("abc", "abc"));
  EXPECT_FALSE(tokenMatches("abd", "abc"));
  EXPECT_FALSE(tokenMatches("ab", "abc"));
  EXPECT_FALSE(tokenMatches("", ""));
}

TEST(HttpListen, Parses) {
  ServeOptions O;
  EXPECT_FALSE(static_cast<bool>(parseListen("0.0.0.0:80", O)));
  EXPECT_EQ(O.Address, "0.0.0.0");
  EXPECT_EQ(O.Port, 80);
  EXPECT_FALSE(static_cast<bool>(parseListen("[::1]:9000", O)));
  EXPECT_EQ(O.Address, "::1");
  EXPECT_EQ(O.Port, 9000);
  EXPECT_FALSE(static_cast<bool>(parseListen("8080", O)));
  EXPECT_EQ(O.Port, 8080);
  for (const char *Bad : {"host.example:80", "1.2.3.4:99999", "[::1", "x:y"}) {
    llvm::Error E = parseListen(Bad, O);
    EXPECT_TRUE(static_cast<bool>(E)) << Bad;
    llvm::consumeError(std::move(E));
  }
}
