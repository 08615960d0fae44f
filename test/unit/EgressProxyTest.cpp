//===- EgressProxyTest.cpp - the sandbox proxy's rules and request heads --===//
#include "runtime/sandbox/EgressProxy.h"
#include "runtime/sandbox/EgressRequest.h"
#include "runtime/sandbox/NetForwarder.h"

#include "gtest/gtest.h"

using namespace connectorc::runtime;

namespace {

EgressRule rule(llvm::StringRef Text) {
  llvm::Expected<EgressRule> R = parseEgressRule(Text);
  EXPECT_TRUE(static_cast<bool>(R)) << Text.str();
  if (!R) {
    llvm::consumeError(R.takeError());
    return {};
  }
  return *R;
}

std::string ruleError(llvm::StringRef Text) {
  llvm::Expected<EgressRule> R = parseEgressRule(Text);
  if (R)
    return "parsed: " + R->str();
  return llvm::toString(R.takeError());
}

EgressAllowlist list(std::initializer_list<llvm::StringRef> Texts) {
  EgressAllowlist L;
  for (llvm::StringRef T : Texts)
    L.add(rule(T));
  return L;
}

constexpr EgressKind Connect = EgressKind::Connect;
constexpr EgressKind Http = EgressKind::Http;

TEST(EgressRuleTest, ParsesEveryForm) {
  EXPECT_EQ(rule("api.anthropic.com").str(), "api.anthropic.com");
  EXPECT_FALSE(rule("api.anthropic.com").Port);
  EXPECT_EQ(rule("API.Example.COM.:8443").str(), "api.example.com:8443");
  EXPECT_EQ(rule("*.googleapis.com").str(), "*.googleapis.com");
  EXPECT_EQ(rule("*.example.com:80").str(), "*.example.com:80");
  EXPECT_EQ(rule("127.0.0.1:8080").str(), "127.0.0.1:8080");
  EXPECT_EQ(rule("[::1]:8080").str(), "[::1]:8080");
  EXPECT_EQ(rule("::1").str(), "::1");
  EXPECT_EQ(rule(" localhost ").str(), "localhost");
}

TEST(EgressRuleTest, RefusesMalformedRules) {
  EXPECT_NE(ruleError("").find("not a host name"), std::string::npos);
  EXPECT_NE(ruleError("host:0").find("1 to 65535"), std::string::npos);
  EXPECT_NE(ruleError("host:65536").find("1 to 65535"), std::string::npos);
  EXPECT_NE(ruleError("host:").find("1 to 65535"), std::string::npos);
  EXPECT_NE(ruleError("host:+80").find("1 to 65535"), std::string::npos);
  EXPECT_NE(ruleError("*.").find("expected *.DOMAIN"), std::string::npos);
  EXPECT_NE(ruleError("a*.example.com").find("not a host"), std::string::npos);
  EXPECT_NE(ruleError("*").find("not a host"), std::string::npos);
  EXPECT_NE(ruleError("exa mple.com").find("not a host"), std::string::npos);
  EXPECT_NE(ruleError("a..b").find("not a host"), std::string::npos);
  EXPECT_NE(ruleError("[::1").find("expected HOST"), std::string::npos);
  EXPECT_NE(ruleError("[example.com]:80").find("not a host"),
            std::string::npos);
  EXPECT_NE(ruleError("1:2:3").find("not an IP"), std::string::npos);
  EXPECT_NE(ruleError("http://example.com").find("bad network rule"),
            std::string::npos);
}

TEST(EgressAllowlistTest, ExactNamesAndDefaultPorts) {
  EgressAllowlist L = list({"api.anthropic.com"});
  EXPECT_TRUE(L.allows("api.anthropic.com", 443, Connect));
  EXPECT_TRUE(L.allows("API.anthropic.com.", 443, Connect));
  EXPECT_TRUE(L.allows("api.anthropic.com", 80, Http));
  EXPECT_FALSE(L.allows("api.anthropic.com", 80, Connect));
  EXPECT_FALSE(L.allows("api.anthropic.com", 443, Http));
  EXPECT_FALSE(L.allows("anthropic.com", 443, Connect));
  EXPECT_FALSE(L.allows("evil.api.anthropic.com", 443, Connect));
  EXPECT_FALSE(L.allows("api.anthropic.com.evil.com", 443, Connect));
  EXPECT_EQ(*L.refusal("api.anthropic.com", 22, Connect),
            "port 22 is not allowed for api.anthropic.com");
  EXPECT_EQ(*L.refusal("Evil.COM", 443, Connect),
            "evil.com is not on the allowlist");
}

TEST(EgressAllowlistTest, SuffixPatterns) {
  EgressAllowlist L = list({"*.googleapis.com"});
  EXPECT_TRUE(L.allows("generativelanguage.googleapis.com", 443, Connect));
  EXPECT_TRUE(L.allows("a.b.googleapis.com", 443, Connect));
  EXPECT_FALSE(L.allows("googleapis.com", 443, Connect));
  EXPECT_FALSE(L.allows("evilgoogleapis.com", 443, Connect));
  EXPECT_FALSE(L.allows(".googleapis.com", 443, Connect));
  EXPECT_FALSE(L.allows("x.googleapis.com.evil.com", 443, Connect));
}

TEST(EgressAllowlistTest, ExplicitPortsApplyToBothKinds) {
  EgressAllowlist L = list({"127.0.0.1:8080", "localhost:9000"});
  EXPECT_TRUE(L.allows("127.0.0.1", 8080, Connect));
  EXPECT_TRUE(L.allows("127.0.0.1", 8080, Http));
  EXPECT_FALSE(L.allows("127.0.0.1", 8081, Connect));
  EXPECT_FALSE(L.allows("127.0.0.1", 443, Connect));
  EXPECT_TRUE(L.allows("localhost", 9000, Http));
  // A name and an address are different destinations, whatever the name
  // resolves to.
  EXPECT_FALSE(L.allows("localhost", 8080, Connect));
  EXPECT_FALSE(L.allows("127.0.0.1", 9000, Connect));
}

TEST(EgressAllowlistTest, AddressesCompareAsAddresses) {
  EgressAllowlist L = list({"[::1]:8080", "10.0.0.1"});
  EXPECT_TRUE(L.allows("::1", 8080, Connect));
  EXPECT_TRUE(L.allows("[::1]", 8080, Connect));
  EXPECT_TRUE(L.allows("0:0::1", 8080, Connect));
  EXPECT_TRUE(L.allows("10.0.0.1", 443, Connect));
  EXPECT_FALSE(L.allows("10.0.0.2", 443, Connect));
  // Forms inet_aton would take, but no rule names them.
  EXPECT_FALSE(L.allows("10.1", 443, Connect));
  EXPECT_FALSE(L.allows("167772161", 443, Connect));
  // A name pattern never matches an address.
  EXPECT_FALSE(list({"*.1"}).allows("10.0.0.1", 443, Connect));
}

TEST(EgressAllowlistTest, EmptyAllowsNothing) {
  EgressAllowlist L;
  EXPECT_FALSE(L.allows("localhost", 443, Connect));
  EXPECT_EQ(*L.refusal("localhost", 443, Connect),
            "localhost is not on the allowlist");
}

ProxyRequest request(llvm::StringRef Head) {
  auto P = parseProxyRequest(Head);
  if (auto *E = std::get_if<ProxyRequestError>(&P)) {
    ADD_FAILURE() << E->Status << " " << E->Message;
    return {};
  }
  return std::get<ProxyRequest>(P);
}

ProxyRequestError requestError(llvm::StringRef Head, size_t Max = 16384) {
  auto P = parseProxyRequest(Head, Max);
  if (auto *E = std::get_if<ProxyRequestError>(&P))
    return *E;
  ADD_FAILURE() << "parsed: " << Head.str();
  return {};
}

TEST(ProxyRequestTest, Connect) {
  ProxyRequest R = request("CONNECT API.example.com:443 HTTP/1.1\r\n"
                           "Host: api.example.com:443\r\n\r\n");
  EXPECT_EQ(R.Kind, EgressKind::Connect);
  EXPECT_EQ(R.Host, "api.example.com");
  EXPECT_EQ(R.Port, 443);
  EXPECT_EQ(R.OriginHead, "");
  R = request("CONNECT [::1]:8443 HTTP/1.0\r\n\r\n");
  EXPECT_EQ(R.Host, "::1");
  EXPECT_EQ(R.Port, 8443);
  // Bytes after the head (a TLS hello sent early) are not the head's.
  R = request("CONNECT a.b:1 HTTP/1.1\r\n\r\n\x16\x03\x01");
  EXPECT_EQ(R.Host, "a.b");
}

TEST(ProxyRequestTest, AbsoluteFormBecomesOriginForm) {
  ProxyRequest R = request(
      "POST http://Api.Example.com:8080/v1/messages?x=1#frag HTTP/1.1\r\n"
      "Host: wrong.example.com\r\n"
      "Proxy-Connection: keep-alive\r\n"
      "Proxy-Authorization: Basic Zm9v\r\n"
      "Connection: keep-alive, X-Secret\r\n"
      "X-Secret: 1\r\n"
      "Content-Length: 2\r\n"
      "Authorization: Bearer k\r\n\r\n{}");
  EXPECT_EQ(R.Kind, EgressKind::Http);
  EXPECT_EQ(R.Host, "api.example.com");
  EXPECT_EQ(R.Port, 8080);
  EXPECT_EQ(R.OriginHead, "POST /v1/messages?x=1 HTTP/1.1\r\n"
                          "Host: api.example.com:8080\r\n"
                          "Content-Length: 2\r\n"
                          "Authorization: Bearer k\r\n"
                          "Connection: close\r\n\r\n");
  R = request("GET http://example.com HTTP/1.0\r\n\r\n");
  EXPECT_EQ(R.Port, 80);
  EXPECT_EQ(R.OriginHead,
            "GET / HTTP/1.0\r\nHost: example.com\r\nConnection: close\r\n\r\n");
  R = request("GET http://[::1]:81?q HTTP/1.1\r\n\r\n");
  EXPECT_EQ(R.Host, "::1");
  EXPECT_EQ(R.OriginHead,
            "GET /?q HTTP/1.1\r\nHost: [::1]:81\r\nConnection: close\r\n\r\n");
}

TEST(ProxyRequestTest, RefusesWhatIsNotAProxyRequest) {
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: x\r\n\r\n").Status, 400u);
  EXPECT_NE(
      requestError("GET https://x/ HTTP/1.1\r\n\r\n").Message.find("CONNECT"),
      std::string::npos);
  EXPECT_EQ(requestError("GET ftp://x/ HTTP/1.1\r\n\r\n").Status, 400u);
  EXPECT_EQ(requestError("CONNECT example.com HTTP/1.1\r\n\r\n").Status, 400u);
  EXPECT_EQ(requestError("CONNECT example.com:0 HTTP/1.1\r\n\r\n").Status,
            400u);
  EXPECT_EQ(requestError("CONNECT example.com:99999 HTTP/1.1\r\n\r\n").Status,
            400u);
  EXPECT_EQ(requestError("CONNECT [example.com]:1 HTTP/1.1\r\n\r\n").Status,
            400u);
  EXPECT_EQ(requestError("CONNECT a%00b:443 HTTP/1.1\r\n\r\n").Status, 400u);
  EXPECT_EQ(requestError("GET http://user@x/ HTTP/1.1\r\n\r\n").Status, 400u);
  EXPECT_EQ(requestError("GET http:///x HTTP/1.1\r\n\r\n").Status, 400u);
  EXPECT_EQ(requestError("GET http://x:y/ HTTP/1.1\r\n\r\n").Status, 400u);
}

TEST(ProxyRequestTest, MalformedAndHostileHeads) {
  EXPECT_EQ(requestError("").Message, "incomplete request head");
  EXPECT_EQ(requestError("CONNECT a:1 HTTP/1.1\r\n").Message,
            "incomplete request head");
  EXPECT_EQ(requestError("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n").Status,
            400u);
  EXPECT_EQ(requestError("CONNECT a:1 HTTP/2.0\r\n\r\n").Status, 400u);
  EXPECT_EQ(requestError("CONNECT a:1 HTTP/1.1\r\nBad Header\r\n\r\n").Status,
            400u);
  std::string Big =
      "GET http://x/ HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(requestError(Big).Status, 431u);
  EXPECT_EQ(
      requestError("CONNECT a:1 HTTP/1.1\r\nX: 0123456789\r\n\r\n", 32).Status,
      431u);
  static constexpr char NulHead[] = "CONNECT a:1 HTTP/1.1\r\nX: \0\r\n\r\n";
  std::string Nul(NulHead, sizeof NulHead - 1); // the NUL inside, not the end
  EXPECT_EQ(requestError(Nul).Status, 400u);
}

TEST(EgressRuleTest, FromBaseUrls) {
  auto Url = [](llvm::StringRef U) {
    llvm::Expected<EgressRule> R = egressRuleForUrl(U);
    if (!R)
      return llvm::toString(R.takeError());
    return R->str();
  };
  EXPECT_EQ(Url("https://api.anthropic.com"), "api.anthropic.com:443");
  EXPECT_EQ(Url("http://127.0.0.1:8080/v1"), "127.0.0.1:8080");
  EXPECT_EQ(Url("HTTP://LocalHost:11434"), "localhost:11434");
  EXPECT_EQ(Url("http://[::1]/x?y"), "[::1]:80");
  EXPECT_EQ(Url("wss://realtime.example.com/ws"), "realtime.example.com:443");
  for (llvm::StringRef Bad :
       {"api.anthropic.com", "ftp://x", "https://", "https://u:p@x.com",
        "https://*.x.com", "http://x:0/"})
    EXPECT_NE(Url(Bad).find("bad "), std::string::npos) << Bad.str();
}

TEST(EgressRuleTest, LoopbackHosts) {
  for (llvm::StringRef H : {"localhost", "LOCALHOST.", "api.localhost",
                            "127.0.0.1", "127.1.2.3", "::1", "[::1]"})
    EXPECT_TRUE(isLoopbackHost(H)) << H.str();
  for (llvm::StringRef H : {"10.0.0.1", "::2", "localhost.example.com",
                            "mylocalhost", "example.com"})
    EXPECT_FALSE(isLoopbackHost(H)) << H.str();
}

TEST(EgressRuleTest, AddressesOfThisMachine) {
  auto Local = [](const char *A) {
    return egress::isThisMachine(boost::asio::ip::make_address(A));
  };
  EXPECT_TRUE(Local("127.0.0.1"));
  EXPECT_TRUE(Local("127.255.0.9"));
  EXPECT_TRUE(Local("::1"));
  EXPECT_TRUE(Local("0.0.0.0"));
  EXPECT_TRUE(Local("::"));
  EXPECT_TRUE(Local("::ffff:127.0.0.1"));
  EXPECT_FALSE(Local("10.0.0.1"));
  EXPECT_FALSE(Local("::ffff:10.0.0.1"));
  EXPECT_FALSE(Local("2001:db8::1"));
}

TEST(NetForwardTest, Argv) {
  NetForwarderArgs A;
  A.Socket = "/run/x/egress.sock";
  EXPECT_EQ(netForwarderArgv("/bin/cc", A),
            (std::vector<std::string>{"/bin/cc", "sandbox-net", "--socket",
                                      "/run/x/egress.sock", "--"}));
  A.ProxyPort = 3128;
  A.Forwards = {{8080, "127.0.0.1", 8080}, {9, "::1", 10}};
  EXPECT_EQ(netForwarderArgv("/bin/cc", A),
            (std::vector<std::string>{"/bin/cc", "sandbox-net", "--socket",
                                      "/run/x/egress.sock", "--proxy-port=3128",
                                      "--forward=8080:127.0.0.1:8080",
                                      "--forward=9:[::1]:10", "--"}));
}

TEST(NetForwardTest, Parses) {
  llvm::Expected<NetForward> F = parseNetForward("8080:127.0.0.1:9090");
  ASSERT_TRUE(static_cast<bool>(F));
  EXPECT_EQ(F->Port, 8080);
  EXPECT_EQ(F->Host, "127.0.0.1");
  EXPECT_EQ(F->HostPort, 9090);
  F = parseNetForward("1:[::1]:2");
  ASSERT_TRUE(static_cast<bool>(F));
  EXPECT_EQ(F->Host, "::1");
  for (llvm::StringRef Bad : {"", "8080", "8080:host", "0:h:1", "1:h:70000",
                              "1::2", "x:h:1", "1:a b:2"}) {
    F = parseNetForward(Bad);
    EXPECT_FALSE(static_cast<bool>(F)) << Bad.str();
    if (!F)
      llvm::consumeError(F.takeError());
  }
}

} // namespace
