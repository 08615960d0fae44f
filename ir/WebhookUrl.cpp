//===- WebhookUrl.cpp - a notification webhook's address ------------------===//
#include "ir/WebhookUrl.h"

#include "llvm/ADT/StringExtras.h"

using namespace connectorc;
using namespace connectorc::ir;

namespace {
bool isPort(llvm::StringRef S) {
  unsigned N = 0;
  return !S.empty() && S.size() <= 5 && !S.getAsInteger(10, N) && N > 0 &&
         N < 65536;
}

/// A host name's or IPv4 address's characters (no spaces, no controls).
bool isHostName(llvm::StringRef S) {
  return !S.empty() && llvm::all_of(S, [](char C) {
    return llvm::isAlnum(C) || C == '-' || C == '.' || C == '_';
  });
}

bool hasControlOrSpace(llvm::StringRef S) {
  return llvm::any_of(S, [](unsigned char C) { return C <= ' ' || C == 0x7f; });
}

/// Splits "host[:port]" or "[v6][:port]" into \p U; false with \p Why.
bool parseAuthority(llvm::StringRef Auth, WebhookUrl &U, std::string &Why) {
  llvm::StringRef Port;
  if (Auth.startswith("[")) {
    size_t Close = Auth.find(']');
    if (Close == llvm::StringRef::npos) {
      Why = "an IPv6 address has no closing ']'";
      return false;
    }
    U.Host = Auth.slice(1, Close).str();
    llvm::StringRef Rest = Auth.drop_front(Close + 1);
    if (!Rest.empty() && !Rest.consume_front(":")) {
      Why = "unexpected text after the IPv6 address";
      return false;
    }
    Port = Rest;
    if (U.Host.empty() || !llvm::all_of(U.Host, [](char C) {
          return llvm::isHexDigit(C) || C == ':' || C == '.';
        })) {
      Why = "the IPv6 address is not valid";
      return false;
    }
  } else {
    auto [H, P] = Auth.split(':');
    U.Host = H.str();
    Port = P;
    if (Auth.contains(':') && P.empty()) {
      Why = "the port is empty";
      return false;
    }
    if (!isHostName(U.Host)) {
      Why = U.Host.empty() ? "the URL has no host" : "the host is not valid";
      return false;
    }
  }
  if (!Port.empty() && !isPort(Port)) {
    Why = "the port is not a number from 1 to 65535";
    return false;
  }
  U.Port = Port.empty() ? (U.Tls ? "443" : "80") : Port.str();
  return true;
}
} // namespace

std::string WebhookUrl::shown() const {
  std::string Out = Tls ? "https://" : "http://";
  Out += Host.find(':') != std::string::npos ? "[" + Host + "]" : Host;
  if (Port != (Tls ? "443" : "80"))
    Out += ":" + Port;
  return Out + Path;
}

std::optional<WebhookUrl> ir::parseWebhookUrl(llvm::StringRef Text,
                                              std::string &Why) {
  WebhookUrl U;
  llvm::StringRef Rest = Text;
  if (Rest.consume_front_insensitive("https://")) {
    U.Tls = true;
  } else if (!Rest.consume_front_insensitive("http://")) {
    Why = "a webhook is an http:// or https:// URL";
    return std::nullopt;
  }
  if (hasControlOrSpace(Text)) {
    Why = "the URL holds a space or a control character";
    return std::nullopt;
  }
  Rest = Rest.split('#').first; // a fragment is never sent
  size_t End = Rest.find_first_of("/?");
  llvm::StringRef Auth = Rest.substr(0, End);
  llvm::StringRef Target =
      End == llvm::StringRef::npos ? "" : Rest.drop_front(End);
  // Userinfo ("user:token@") goes in an Authorization header, which
  // connectorc does not send: refused rather than dropped in silence.
  if (Auth.contains('@')) {
    Why = "user information in the URL (user:password@) is not supported; "
          "put the token in the path or the query";
    return std::nullopt;
  }
  if (!parseAuthority(Auth, U, Why))
    return std::nullopt;
  U.Target = Target.startswith("?") ? "/" + Target.str() : Target.str();
  if (U.Target.empty())
    U.Target = "/";
  U.Path = llvm::StringRef(U.Target).split('?').first.str();
  return U;
}

std::string ir::redactWebhookUrl(llvm::StringRef Text) {
  std::string Why;
  if (std::optional<WebhookUrl> U = parseWebhookUrl(Text, Why))
    return U->shown();
  return "(an invalid URL)";
}
