//===- WebhookUrl.h - a notification webhook's address -----------*- C++
//-*-===//
//
// A webhook (`notify.webhook` in the spec or the user's config) is an http or
// https URL. The checker reports one that cannot be used; the runtime posts
// to it. Such a URL often carries a token (in its query, its userinfo or its
// path): what connectorc prints of it is scheme://host[:port]/path only.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_WEBHOOKURL_H
#define CONNECTORC_IR_WEBHOOKURL_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace connectorc::ir {

/// The parts of an http(s) URL a request needs.
struct WebhookUrl {
  bool Tls = false;   ///< https
  std::string Host;   ///< a name, an IPv4 address, or an IPv6 one without []
  std::string Port;   ///< "80" / "443" when the URL has none
  std::string Target; ///< path and query, "/" at least
  std::string Path;   ///< the path alone, "/" at least
  /// What may be printed: scheme://host[:port]/path (no userinfo, no query,
  /// no fragment).
  std::string shown() const;
};

/// \p Text as a webhook address, or nothing with the reason in \p Why.
std::optional<WebhookUrl> parseWebhookUrl(llvm::StringRef Text,
                                          std::string &Why);

/// \p Text without its secrets, for messages: WebhookUrl::shown when it
/// parses, else "(an invalid URL)".
std::string redactWebhookUrl(llvm::StringRef Text);

} // namespace connectorc::ir

#endif
