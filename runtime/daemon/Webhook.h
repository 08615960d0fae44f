//===- Webhook.h - one JSON POST on the run's loop -----------------*- C++
//-*-===//
//
// A notification webhook is told things with one JSON POST (Boost.Beast, on
// the run's io_context): resolve, connect, TLS for https (the system's CA
// certificates, the host's name checked), write, read the status line. A
// deadline covers it all, so a slow or silent server never holds the loop;
// the outcome comes back once, as an error message or "".
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_WEBHOOK_H
#define CONNECTORC_RUNTIME_WEBHOOK_H

#include "ir/WebhookUrl.h"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <string>

namespace connectorc::runtime {

/// How a POST ended: "" when the server answered 2xx, else why not
/// (never the URL: the caller names it, redacted).
using WebhookDone = std::function<void(std::string Error)>;

/// POSTs \p Body (JSON) to \p Url on \p Io and returns at once; \p Done runs
/// on the loop when the server has answered, or failed, or \p TimeoutS
/// passed.
void postWebhook(boost::asio::io_context &Io, const ir::WebhookUrl &Url,
                 std::string Body, double TimeoutS, WebhookDone Done);

} // namespace connectorc::runtime

#endif
