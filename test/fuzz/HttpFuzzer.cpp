//===- HttpFuzzer.cpp - libFuzzer target: the HTTP server's requests ------===//
//
// Feeds arbitrary bytes to the HTTP server as one connection would bring
// them (runtime/server/HttpServer.h): Beast's request parser with the
// server's limits reads requests off the front, and each is answered by
// handleHttpRequest, the server's own checks and routes, against the real
// operations (runtime/server/Operations.h) in an empty runtime directory and
// project, with a daemon that starts nothing. The first byte picks whether
// the requests carry the token (most do, so the routes are reached).
//
// Besides crashes and sanitizer reports, a finding is: an answer whose
// status is not 1xx-5xx, a refusal (401, 403) that is not a problem
// document, or a 2xx to a request without the token or with a foreign Host.
//
//===----------------------------------------------------------------------===//
#include "../unit/FakeHttp.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <cstdlib>
#include <string>

using namespace connectorc;
using namespace connectorc::server;
namespace http = boost::beast::http;
namespace json = llvm::json;

namespace {
void check(bool Holds) {
  if (!Holds)
    std::abort();
}

const std::string Token(64, 'a');
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  static fakes::EmptyServer W(Token);
  if (Size < 2)
    return 0;
  bool WithToken = Data[0] % 4 != 0;
  std::string Rest(reinterpret_cast<const char *>(Data) + 1, Size - 1);
  boost::beast::flat_buffer Buf;
  auto Prepared = Buf.prepare(Rest.size());
  std::memcpy(Prepared.data(), Rest.data(), Rest.size());
  Buf.commit(Rest.size());
  for (int N = 0; N < 8 && Buf.size(); ++N) {
    http::request_parser<http::string_body> P;
    P.body_limit(MaxRequestBody);
    P.header_limit(16 * 1024);
    P.eager(true);
    boost::system::error_code EC;
    size_t Used = P.put(Buf.data(), EC);
    if (EC == http::error::need_more) {
      // What is there is all there is: the end of the stream.
      P.put_eof(EC);
    }
    Buf.consume(Used);
    if (EC || !P.is_done())
      break;
    HttpRequest Req = P.release();
    if (WithToken)
      Req.set(http::field::authorization, "Bearer " + Token);
    bool Authorized = WithToken;
    auto Host = Req.find(http::field::host);
    // Host names are case-insensitive (the server compares them so).
    llvm::StringRef HostName =
        Host == Req.end()
            ? llvm::StringRef()
            : llvm::StringRef(Host->value().data(), Host->value().size());
    bool OwnHost = HostName.equals_insensitive("127.0.0.1:7878") ||
                   HostName.equals_insensitive("localhost:7878");
    HttpAnswer A = handleHttpRequest(Req, W.Ctx);
    unsigned Status = A.Response.result_int();
    if (A.Kind == HttpAnswer::Upgrade::None) {
      check(Status >= 100 && Status < 600);
      if (Status == 401 || Status == 403)
        check(A.Response[http::field::content_type] ==
              "application/problem+json");
      if (Status >= 200 && Status < 300)
        check(Authorized && OwnHost);
    } else {
      check(Authorized && OwnHost);
    }
  }
  return 0;
}
