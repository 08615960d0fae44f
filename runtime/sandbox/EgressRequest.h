//===- EgressRequest.h - the egress proxy's request heads -------*- C++ -*-===//
//
// Private to the egress proxy (EgressProxy.cpp, EgressRequest.cpp): what the
// connection code needs of the request-head reading that parseProxyRequest()
// exposes to tests, in Beast's and Asio's types.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_EGRESSREQUEST_H
#define CONNECTORC_RUNTIME_EGRESSREQUEST_H

#include "runtime/sandbox/EgressProxy.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>

namespace connectorc::runtime::egress {

using Parsed = std::variant<ProxyRequest, ProxyRequestError>;

/// \p Host (no brackets) as an address, if it is one (inet_pton's forms).
std::optional<boost::asio::ip::address> ipLiteral(llvm::StringRef Host);

/// A loopback or unspecified address (IPv4-mapped ones too): connecting to
/// it reaches this machine.
bool isThisMachine(const boost::asio::ip::address &A);

/// A parsed head as a proxy request, or the status to refuse it with.
Parsed proxyRequestFrom(const boost::beast::http::request_header<> &H);

/// A failed read of a head, as the status to answer.
ProxyRequestError headError(boost::system::error_code EC);

} // namespace connectorc::runtime::egress

#endif
