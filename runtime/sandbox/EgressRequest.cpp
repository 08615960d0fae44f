//===- EgressRequest.cpp - egress rules and proxy request heads -----------===//
#include "runtime/sandbox/EgressRequest.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

using namespace connectorc::runtime;
using namespace connectorc::runtime::egress;
namespace asio = boost::asio;
namespace http = boost::beast::http;

//===----------------------------------------------------------------------===//
// Hosts, ports and rules
//===----------------------------------------------------------------------===//

/// Lowercase, without IPv6 brackets or a final dot.
static std::string normalHost(llvm::StringRef Host) {
  if (Host.size() >= 2 && Host.front() == '[' && Host.back() == ']')
    Host = Host.drop_front().drop_back();
  if (Host.size() > 1 && Host.back() == '.')
    Host = Host.drop_back();
  return Host.lower();
}

std::optional<asio::ip::address> egress::ipLiteral(llvm::StringRef Host) {
  boost::system::error_code EC;
  asio::ip::address A = asio::ip::make_address(Host.str(), EC);
  if (EC)
    return std::nullopt;
  return A;
}

/// A DNS name as the resolver will be given it: letters, digits, '-', '_'
/// and non-empty labels, at most 253 bytes.
static bool isHostName(llvm::StringRef Host) {
  if (Host.empty() || Host.size() > 253)
    return false;
  llvm::SmallVector<llvm::StringRef, 8> Labels;
  Host.split(Labels, '.');
  return llvm::all_of(Labels, [](llvm::StringRef L) {
    return !L.empty() && L.size() <= 63 && llvm::all_of(L, [](char C) {
      return llvm::isAlnum(C) || C == '-' || C == '_';
    });
  });
}

std::optional<uint16_t>
connectorc::runtime::parsePortNumber(llvm::StringRef Text) {
  unsigned Port = 0;
  if (Text.empty() || Text.size() > 5 || !llvm::all_of(Text, llvm::isDigit) ||
      Text.getAsInteger(10, Port) || Port == 0 || Port > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(Port);
}

namespace {
/// "host", "host:port", "[v6]" or "[v6]:port", split.
struct Authority {
  llvm::StringRef Host;
  llvm::StringRef Port; ///< empty when there is none
  bool Bracketed = false;
};
} // namespace

static std::optional<Authority> splitAuthority(llvm::StringRef Text) {
  Authority A;
  if (Text.startswith("[")) {
    size_t Close = Text.find(']');
    if (Close == llvm::StringRef::npos)
      return std::nullopt;
    A.Host = Text.slice(1, Close);
    A.Bracketed = true;
    llvm::StringRef Rest = Text.drop_front(Close + 1);
    if (!Rest.empty() && !Rest.consume_front(":"))
      return std::nullopt;
    A.Port = Rest;
    return A;
  }
  std::tie(A.Host, A.Port) = Text.rsplit(':');
  return A;
}

/// A host as a request names it: an IP literal or a DNS name.
static bool isValidHost(llvm::StringRef Host, bool Bracketed) {
  std::optional<asio::ip::address> Ip = ipLiteral(Host);
  if (Bracketed)
    return Ip && Ip->is_v6();
  return (Ip && Ip->is_v4()) || isHostName(Host);
}

std::string EgressRule::str() const {
  std::string H = Host;
  if (std::optional<asio::ip::address> Ip = ipLiteral(Host);
      Ip && Ip->is_v6() && Port)
    H = "[" + H + "]";
  return Port ? H + ":" + std::to_string(*Port) : H;
}

llvm::Expected<EgressRule>
connectorc::runtime::parseEgressRule(llvm::StringRef Text) {
  auto Bad = [&](llvm::StringRef Why) {
    return llvm::createStringError(std::errc::invalid_argument,
                                   "bad network rule '%s': %s",
                                   Text.str().c_str(), Why.str().c_str());
  };
  llvm::StringRef T = Text.trim();
  EgressRule R;
  // A bare IPv6 literal: more than one colon and no brackets.
  if (!T.startswith("[") && T.count(':') > 1) {
    if (!ipLiteral(T))
      return Bad("not an IP address (write [v6]:port with a port)");
    R.Host = normalHost(T);
    return R;
  }
  std::optional<Authority> A = splitAuthority(T);
  if (!A)
    return Bad("expected HOST, HOST:PORT or [IPv6]:PORT");
  if (!A->Port.empty() || T.endswith(":")) {
    R.Port = parsePortNumber(A->Port);
    if (!R.Port)
      return Bad("the port must be a number from 1 to 65535");
  }
  llvm::StringRef Host = A->Host;
  bool Wildcard = Host.consume_front("*.");
  std::string Norm = normalHost(Host);
  if (Wildcard ? !isHostName(Norm) : !isValidHost(Norm, A->Bracketed))
    return Bad(Wildcard ? "expected *.DOMAIN" : "not a host name or address");
  R.Host = Wildcard ? "*." + Norm : Norm;
  return R;
}

llvm::Expected<EgressRule>
connectorc::runtime::egressRuleForUrl(llvm::StringRef Url) {
  auto [Scheme, Rest] = Url.trim().split("://");
  uint16_t Default = 0;
  if (Scheme.equals_insensitive("https") || Scheme.equals_insensitive("wss"))
    Default = 443;
  else if (Scheme.equals_insensitive("http") || Scheme.equals_insensitive("ws"))
    Default = 80;
  llvm::StringRef AuthorityText =
      Rest.take_until([](char C) { return C == '/' || C == '?' || C == '#'; });
  if (!Default || AuthorityText.empty() || AuthorityText.contains('@'))
    return llvm::createStringError(
        std::errc::invalid_argument,
        "bad base URL '%s': expected http(s)://host[:port][/path]",
        Url.str().c_str());
  llvm::Expected<EgressRule> R = parseEgressRule(AuthorityText);
  if (!R || R->Host.front() == '*')
    return llvm::createStringError(std::errc::invalid_argument,
                                   "bad host in base URL '%s'",
                                   Url.str().c_str());
  R->Port = R->Port.value_or(Default);
  return R;
}

bool egress::isThisMachine(const asio::ip::address &A) {
  if (A.is_v6() && A.to_v6().is_v4_mapped())
    return isThisMachine(
        asio::ip::make_address_v4(asio::ip::v4_mapped, A.to_v6()));
  return A.is_loopback() || A.is_unspecified();
}

bool connectorc::runtime::isLoopbackHost(llvm::StringRef Host) {
  std::string H = normalHost(Host);
  if (std::optional<asio::ip::address> Ip = ipLiteral(H))
    return Ip->is_loopback();
  return H == "localhost" || llvm::StringRef(H).endswith(".localhost");
}

static bool hostMatches(const EgressRule &R, llvm::StringRef Host,
                        const std::optional<asio::ip::address> &Ip) {
  if (std::optional<asio::ip::address> RuleIp = ipLiteral(R.Host))
    return Ip && *Ip == *RuleIp;
  if (Ip)
    return false;
  llvm::StringRef Pattern = R.Host;
  if (Pattern.consume_front("*"))
    return Host.size() > Pattern.size() && Host.endswith(Pattern);
  return Host == Pattern;
}

std::optional<std::string> EgressAllowlist::refusal(llvm::StringRef Host,
                                                    uint16_t Port,
                                                    EgressKind Kind) const {
  std::string H = normalHost(Host);
  std::optional<asio::ip::address> Ip = ipLiteral(H);
  uint16_t Default = Kind == EgressKind::Connect ? 443 : 80;
  bool HostMatched = false;
  for (const EgressRule &R : Rules) {
    if (!hostMatches(R, H, Ip))
      continue;
    HostMatched = true;
    if (R.Port.value_or(Default) == Port)
      return std::nullopt;
  }
  if (HostMatched)
    return "port " + std::to_string(Port) + " is not allowed for " + H;
  return H + " is not on the allowlist";
}

//===----------------------------------------------------------------------===//
// Request heads
//===----------------------------------------------------------------------===//

static Parsed badRequest(unsigned Status, const llvm::Twine &Message) {
  return ProxyRequestError{Status, Message.str()};
}

/// Fields a proxy must not pass on (RFC 9110, 7.6.1), besides those the
/// request's own Connection field names.
static bool isHopByHop(llvm::StringRef Name) {
  for (llvm::StringRef Hop :
       {"connection", "proxy-connection", "keep-alive", "proxy-authorization",
        "proxy-authenticate", "te", "upgrade", "host"})
    if (Name.equals_insensitive(Hop))
      return true;
  return false;
}

static Parsed connectRequest(const http::request_header<> &H) {
  llvm::StringRef Target(H.target().data(), H.target().size());
  std::optional<Authority> A = splitAuthority(Target);
  if (!A || A->Port.empty())
    return badRequest(400, "CONNECT needs host:port, got '" + Target + "'");
  std::optional<uint16_t> Port = parsePortNumber(A->Port);
  std::string Host = normalHost(A->Host);
  if (!Port || !isValidHost(Host, A->Bracketed))
    return badRequest(400, "bad CONNECT target '" + Target + "'");
  return ProxyRequest{EgressKind::Connect, Host, *Port, ""};
}

/// The head sent to the origin: origin-form, its own Host, no hop-by-hop
/// fields, and `Connection: close` (the tunnel ends with the answer).
static std::string originHead(const http::request_header<> &H,
                              llvm::StringRef Path, llvm::StringRef HostField) {
  llvm::SmallVector<llvm::StringRef, 4> Named;
  if (auto It = H.find(http::field::connection); It != H.end())
    llvm::StringRef(It->value().data(), It->value().size())
        .split(Named, ',', -1, false);
  llvm::StringRef Method(H.method_string().data(), H.method_string().size());
  std::string Out = Method.str() + " " + Path.str() + " HTTP/" +
                    std::to_string(H.version() / 10) + "." +
                    std::to_string(H.version() % 10) +
                    "\r\nHost: " + HostField.str() + "\r\n";
  for (const auto &F : H) {
    llvm::StringRef Name(F.name_string().data(), F.name_string().size());
    if (isHopByHop(Name) || llvm::any_of(Named, [&](llvm::StringRef N) {
          return N.trim().equals_insensitive(Name);
        }))
      continue;
    Out += Name;
    Out += ": ";
    Out.append(F.value().data(), F.value().size());
    Out += "\r\n";
  }
  return Out + "Connection: close\r\n\r\n";
}

static Parsed absoluteRequest(const http::request_header<> &H) {
  llvm::StringRef Target(H.target().data(), H.target().size());
  if (Target.startswith("/"))
    return badRequest(400, "not a proxy request: the target must be "
                           "http://host/... (or use CONNECT)");
  if (Target.size() >= 8 && Target.take_front(8).equals_insensitive("https://"))
    return badRequest(400,
                      "https:// goes through CONNECT, not a plain request");
  if (Target.size() < 7 || !Target.take_front(7).equals_insensitive("http://"))
    return badRequest(400, "unsupported target '" + Target + "'");
  llvm::StringRef Rest = Target.drop_front(7);
  size_t End = Rest.find_first_of("/?#");
  llvm::StringRef AuthorityText = Rest.take_front(End);
  llvm::StringRef Path =
      End == llvm::StringRef::npos ? "" : Rest.drop_front(End);
  Path = Path.take_until([](char C) { return C == '#'; });
  std::optional<Authority> A = splitAuthority(AuthorityText);
  std::string Host = A ? normalHost(A->Host) : "";
  if (AuthorityText.contains('@') || !A || !isValidHost(Host, A->Bracketed))
    return badRequest(400, "bad host in '" + Target + "'");
  std::optional<uint16_t> Port =
      A->Port.empty() ? std::optional<uint16_t>(80) : parsePortNumber(A->Port);
  if (!Port)
    return badRequest(400, "bad port in '" + Target + "'");
  std::string FullPath =
      Path.empty() || Path.front() == '?' ? "/" + Path.str() : Path.str();
  return ProxyRequest{EgressKind::Http, Host, *Port,
                      originHead(H, FullPath, AuthorityText.lower())};
}

Parsed egress::proxyRequestFrom(const http::request_header<> &H) {
  if (H.method() == http::verb::connect)
    return connectRequest(H);
  return absoluteRequest(H);
}

ProxyRequestError egress::headError(boost::system::error_code EC) {
  if (EC == http::error::header_limit || EC == http::error::buffer_overflow)
    return {431, "request head too large"};
  return {400, "malformed request: " + EC.message()};
}

Parsed connectorc::runtime::parseProxyRequest(llvm::StringRef Bytes,
                                              size_t MaxHeadBytes) {
  http::request_parser<http::empty_body> P;
  P.header_limit(static_cast<uint32_t>(MaxHeadBytes));
  boost::system::error_code EC;
  size_t Used = 0;
  // put() may stop at the end of the start line: feed it until the head
  // is done, as a read would.
  while (!P.is_header_done() && Used < Bytes.size()) {
    size_t N =
        P.put(asio::buffer(Bytes.data() + Used, Bytes.size() - Used), EC);
    Used += N;
    if (EC == http::error::need_more && N == 0)
      break;
    if (EC && EC != http::error::need_more)
      return headError(EC);
  }
  if (!P.is_header_done())
    return ProxyRequestError{400, "incomplete request head"};
  if (Used > MaxHeadBytes)
    return headError(http::error::header_limit);
  return proxyRequestFrom(P.get());
}
