//===- HttpHandler.cpp - one HTTP request to one answer -------------------===//
//
// What the server does with a request it has read: the checks (Host,
// Origin, token), then the route to an operation. No socket here: the
// listener (HttpListener.cpp), the unit tests and the fuzzer call it alike.
//
//===----------------------------------------------------------------------===//
#include "runtime/server/HttpServer.h"
#include "runtime/support/Files.h"
#include "runtime/support/JsonText.h"

#include "ir/UserConfig.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <fmt/format.h>
#include <openssl/crypto.h>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace connectorc {
llvm::StringRef openApiText();
}

using namespace connectorc;
using namespace connectorc::server;
namespace http = boost::beast::http;
namespace json = llvm::json;

//===----------------------------------------------------------------------===//
// The token
//===----------------------------------------------------------------------===//

std::string server::tokenFile() { return ir::userConfigFile("token"); }

llvm::Expected<std::string> server::loadOrCreateToken(const std::string &Path) {
  auto Fail = [&](const llvm::Twine &Why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the token file " + Path + ": " + Why);
  };
  if (Path.empty())
    return Fail("neither XDG_CONFIG_HOME nor HOME is set");
  std::string Dir = llvm::sys::path::parent_path(Path).str();
  if (std::error_code EC = llvm::sys::fs::create_directories(Dir))
    return Fail("cannot create " + Dir + ": " + EC.message());
  int Fd = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (Fd < 0 && errno == ENOENT) {
    unsigned char Raw[32];
    if (::getrandom(Raw, sizeof Raw, 0) != static_cast<ssize_t>(sizeof Raw))
      return Fail("no random bytes");
    std::string Token = llvm::toHex(llvm::ArrayRef<uint8_t>(Raw), true);
    int W = ::open(Path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (W < 0)
      return Fail(std::strerror(errno));
    std::string Line = Token + "\n";
    bool Ok = ::write(W, Line.data(), Line.size()) ==
              static_cast<ssize_t>(Line.size());
    Ok = ::fsync(W) == 0 && Ok;
    ::close(W);
    if (!Ok)
      return Fail("cannot write it");
    return Token;
  }
  if (Fd < 0)
    return Fail(std::strerror(errno));
  struct stat St {};
  ::fstat(Fd, &St);
  char Buf[256];
  ssize_t N = ::read(Fd, Buf, sizeof Buf);
  ::close(Fd);
  if (St.st_uid != ::geteuid())
    return Fail("it is another user's");
  if (St.st_mode & 077)
    return Fail("others may read it (chmod 600 it, or remove it for a new "
                "token)");
  llvm::StringRef Token =
      N > 0 ? llvm::StringRef(Buf, static_cast<size_t>(N)).trim() : "";
  if (Token.size() < 32 || Token.size() > 128 ||
      Token.find_first_not_of("0123456789abcdefABCDEF-_") != llvm::StringRef::npos)
    return Fail("it holds no token (remove it for a new one)");
  return Token.str();
}

bool server::tokenMatches(llvm::StringRef Given, llvm::StringRef Token) {
  if (Token.empty() || Given.size() != Token.size())
    return false;
  return CRYPTO_memcmp(Given.data(), Token.data(), Token.size()) == 0;
}

//===----------------------------------------------------------------------===//
// Answers
//===----------------------------------------------------------------------===//

namespace {
/// Headers every answer has.
void commonHeaders(HttpResponse &R) {
  R.set(http::field::server, "connectorc/" CONNECTORC_VERSION);
  R.set(http::field::cache_control, "no-store");
  R.set("X-Content-Type-Options", "nosniff");
  R.set("Referrer-Policy", "no-referrer");
}

/// The request's path, without its query: a token in a query is never
/// written anywhere.
llvm::StringRef pathOf(const HttpRequest &Req) {
  llvm::StringRef T(Req.target().data(), Req.target().size());
  return T.substr(0, T.find('?'));
}

HttpResponse jsonResponse(const HttpRequest &Req, unsigned Status,
                          json::Value Body) {
  HttpResponse R{static_cast<http::status>(Status), Req.version()};
  commonHeaders(R);
  R.set(http::field::content_type, "application/json");
  R.body() = runtime::toJsonText(Body) + "\n";
  R.keep_alive(Req.keep_alive());
  R.prepare_payload();
  return R;
}

unsigned statusOf(OpErrorKind K) {
  switch (K) {
  case OpErrorKind::BadRequest:
    return 400;
  case OpErrorKind::Forbidden:
    return 403;
  case OpErrorKind::NotFound:
    return 404;
  case OpErrorKind::Conflict:
    return 409;
  case OpErrorKind::TooLarge:
    return 413;
  case OpErrorKind::Invalid:
    return 422;
  case OpErrorKind::Unavailable:
    return 503;
  case OpErrorKind::Internal:
    return 500;
  }
  return 500;
}

} // namespace

HttpResponse server::problemResponse(const HttpRequest &Req, llvm::Error E) {
  OpFailure F = takeOpFailure(std::move(E));
  HttpResponse R = problemResponse(Req, statusOf(F.Kind),
                                   opErrorKindName(F.Kind), F.Message);
  if (!F.Diagnostics.empty()) {
    llvm::Expected<json::Value> V = json::parse(R.body());
    if (V && V->getAsObject()) {
      (*V->getAsObject())["diagnostics"] = std::move(F.Diagnostics);
      R.body() = runtime::toJsonText(*V) + "\n";
      R.prepare_payload();
    } else if (!V) {
      llvm::consumeError(V.takeError());
    }
  }
  return R;
}

namespace {
HttpAnswer answer(HttpResponse R) {
  HttpAnswer A;
  A.Response = std::move(R);
  return A;
}

HttpAnswer answer(const HttpRequest &Req, llvm::Expected<json::Object> O,
                  unsigned Status = 200) {
  if (!O)
    return answer(problemResponse(Req, O.takeError()));
  return answer(jsonResponse(Req, Status, json::Value(std::move(*O))));
}
} // namespace

HttpResponse server::problemResponse(const HttpRequest &Req, unsigned Status,
                                     llvm::StringRef Kind,
                                     llvm::StringRef Detail) {
  std::string Title(
      http::obsolete_reason(static_cast<http::status>(Status)));
  json::Object P{
      {"type", ("https://github.com/connectorc/connectorc/blob/main/docs/"
                "server.md#problem-" +
                Kind)
                   .str()},
      {"title", Title},
      {"status", int64_t(Status)},
      {"detail", json::fixUTF8(Detail)},
      {"instance", json::fixUTF8(pathOf(Req))}};
  HttpResponse R = jsonResponse(Req, Status, json::Value(std::move(P)));
  R.set(http::field::content_type, "application/problem+json");
  if (Status == 401)
    R.set(http::field::www_authenticate, "Bearer realm=\"connectorc\"");
  return R;
}

//===----------------------------------------------------------------------===//
// Requests
//===----------------------------------------------------------------------===//

namespace {
int hexValue(char C) {
  if (C >= '0' && C <= '9')
    return C - '0';
  if (C >= 'a' && C <= 'f')
    return C - 'a' + 10;
  if (C >= 'A' && C <= 'F')
    return C - 'A' + 10;
  return -1;
}

/// %XX decoded ('+' too, in a query); std::nullopt when malformed.
std::optional<std::string> percentDecode(llvm::StringRef S, bool Query) {
  std::string Out;
  Out.reserve(S.size());
  for (size_t I = 0; I < S.size(); ++I) {
    char C = S[I];
    if (C == '%') {
      if (I + 2 >= S.size())
        return std::nullopt;
      int H = hexValue(S[I + 1]), L = hexValue(S[I + 2]);
      if (H < 0 || L < 0)
        return std::nullopt;
      Out += static_cast<char>(H * 16 + L);
      I += 2;
    } else if (C == '+' && Query) {
      Out += ' ';
    } else {
      Out += C;
    }
  }
  return Out;
}

/// A query's parameters, decoded; a malformed one is left out.
std::map<std::string, std::string> queryOf(const HttpRequest &Req) {
  llvm::StringRef T(Req.target().data(), Req.target().size());
  std::map<std::string, std::string> Out;
  size_t Q = T.find('?');
  if (Q == llvm::StringRef::npos)
    return Out;
  llvm::SmallVector<llvm::StringRef, 8> Parts;
  T.substr(Q + 1).split(Parts, '&', -1, false);
  for (llvm::StringRef P : Parts) {
    auto [K, V] = P.split('=');
    std::optional<std::string> DK = percentDecode(K, true),
                               DV = percentDecode(V, true);
    if (DK && DV)
      Out.emplace(std::move(*DK), std::move(*DV));
  }
  return Out;
}

llvm::StringRef header(const HttpRequest &Req, http::field F) {
  auto It = Req.find(F);
  if (It == Req.end())
    return "";
  return llvm::StringRef(It->value().data(), It->value().size());
}

/// The token the request carries: Authorization: Bearer, else the cookie.
std::string givenToken(const HttpRequest &Req) {
  llvm::StringRef Auth = header(Req, http::field::authorization).trim();
  if (Auth.size() > 7 && Auth.take_front(7).equals_insensitive("bearer "))
    return Auth.drop_front(7).trim().str();
  llvm::StringRef Cookies = header(Req, http::field::cookie);
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  Cookies.split(Parts, ';');
  for (llvm::StringRef C : Parts) {
    auto [K, V] = C.trim().split('=');
    if (K == TokenCookie)
      return V.trim().str();
  }
  return "";
}

bool hostAllowed(llvm::StringRef Host, const RequestContext &Ctx) {
  for (const std::string &H : Ctx.Hosts)
    if (Host.equals_insensitive(H))
      return true;
  return false;
}

/// An Origin of this server: scheme://HOST with HOST one of its own.
bool originAllowed(llvm::StringRef Origin, const RequestContext &Ctx) {
  llvm::StringRef Scheme = Ctx.Tls ? "https://" : "http://";
  if (!Origin.consume_front(Scheme))
    return false;
  return hostAllowed(Origin, Ctx);
}

/// How deep a request's JSON may nest (a spec is a string in it).
constexpr unsigned MaxBodyNesting = 64;

/// The request's body as a JSON object; a 400 when it is not one.
llvm::Expected<json::Object> bodyObject(const HttpRequest &Req) {
  llvm::StringRef Type = header(Req, http::field::content_type);
  if (!Type.empty() && !Type.startswith_insensitive("application/json"))
    return opError(OpErrorKind::BadRequest,
                   "the body must be JSON (Content-Type: application/json)");
  llvm::StringRef Body = Req.body();
  if (Body.trim().empty())
    return json::Object();
  // LLVM's parser recurses once a level: a body of '[' (8 MiB of them)
  // would overflow the stack.
  if (runtime::nestsDeeperThan(Body, MaxBodyNesting))
    return opError(OpErrorKind::BadRequest,
                   "the body nests deeper than " +
                       std::to_string(MaxBodyNesting) + " levels");
  llvm::Expected<json::Value> V = json::parse(Body);
  if (!V)
    return opError(OpErrorKind::BadRequest,
                   "the body is not JSON: " + llvm::toString(V.takeError()));
  json::Object *O = V->getAsObject();
  if (!O)
    return opError(OpErrorKind::BadRequest, "the body must be a JSON object");
  return std::move(*O);
}

/// Member \p Key of \p O as a string ("" when absent); an error when it is
/// there but not a string.
llvm::Error stringField(const json::Object &O, llvm::StringRef Key,
                        std::string &Out) {
  const json::Value *V = O.get(Key);
  if (!V || V->kind() == json::Value::Null)
    return llvm::Error::success();
  llvm::Optional<llvm::StringRef> S = V->getAsString();
  if (!S)
    return opError(OpErrorKind::BadRequest, "\"" + Key + "\" must be a string");
  Out = S->str();
  return llvm::Error::success();
}

llvm::Error boolField(const json::Object &O, llvm::StringRef Key, bool &Out) {
  const json::Value *V = O.get(Key);
  if (!V || V->kind() == json::Value::Null)
    return llvm::Error::success();
  llvm::Optional<bool> B = V->getAsBoolean();
  if (!B)
    return opError(OpErrorKind::BadRequest,
                   "\"" + Key + "\" must be true or false");
  Out = *B;
  return llvm::Error::success();
}

llvm::Expected<SpecRequest> specRequest(const HttpRequest &Req) {
  llvm::Expected<json::Object> O = bodyObject(Req);
  if (!O)
    return O.takeError();
  SpecRequest R;
  if (llvm::Error E = stringField(*O, "spec", R.Text))
    return E;
  if (llvm::Error E = stringField(*O, "name", R.Name))
    return E;
  if (llvm::Error E = boolField(*O, "simulate", R.Simulate))
    return E;
  if (R.Text.empty())
    return opError(OpErrorKind::BadRequest,
                   "\"spec\" (the spec's text) is missing");
  if (R.Name.empty())
    R.Name = "posted.connector.json";
  return R;
}

llvm::Expected<StartRequest> startRequest(const HttpRequest &Req) {
  llvm::Expected<json::Object> O = bodyObject(Req);
  if (!O)
    return O.takeError();
  StartRequest R;
  std::string Name;
  if (llvm::Error E = stringField(*O, "spec_path", R.SpecPath))
    return E;
  if (llvm::Error E = stringField(*O, "spec", R.SpecText))
    return E;
  if (llvm::Error E = stringField(*O, "name", Name))
    return E;
  if (!Name.empty())
    R.SpecName = Name;
  if (llvm::Error E = boolField(*O, "simulate", R.Simulate))
    return E;
  if (llvm::Error E = stringField(*O, "timeout", R.Timeout))
    return E;
  if (const json::Value *J = O->get("jobs")) {
    llvm::Optional<int64_t> N = J->getAsInteger();
    if (!N || *N < 0 || *N > 10000)
      return opError(OpErrorKind::BadRequest,
                     "\"jobs\" must be an integer from 0 to 10000");
    R.Jobs = static_cast<unsigned>(*N);
  }
  return R;
}

HttpAnswer methodNotAllowed(const HttpRequest &Req, llvm::StringRef Allow) {
  HttpResponse R = problemResponse(
      Req, 405, "method-not-allowed",
      ("this resource takes " + Allow + ", not " +
       llvm::StringRef(Req.method_string().data(), Req.method_string().size()))
          .str());
  R.set(http::field::allow, std::string(Allow));
  return answer(std::move(R));
}

/// The routes under /api/v1/runs/RUN/tasks/: TASK (a task id, itself with
/// '/'s, or %2F) and then one of these.
constexpr llvm::StringRef TaskActions[] = {"answer", "transcript", "diff",
                                           "send",   "stop",       "terminal"};

HttpAnswer route(const HttpRequest &Req, RequestContext &Ctx,
                 llvm::StringRef Path) {
  Operations &Ops = *Ctx.Ops;
  http::verb M = Req.method();
  bool Get = M == http::verb::get || M == http::verb::head;
  bool Post = M == http::verb::post;
  std::map<std::string, std::string> Q = queryOf(Req);
  if (!Path.consume_front("/api/v1/"))
    return answer(problemResponse(Req, 404, "not-found",
                                  "nothing here: the API is under /api/v1/ "
                                  "(docs/server.md)"));
  if (Path == "openapi.json") {
    if (!Get)
      return methodNotAllowed(Req, "GET");
    HttpResponse R{http::status::ok, Req.version()};
    commonHeaders(R);
    R.set(http::field::content_type, "application/json");
    R.body() = openApiText().str();
    R.keep_alive(Req.keep_alive());
    R.prepare_payload();
    return answer(std::move(R));
  }
  if (Path == "events") {
    if (!Get)
      return methodNotAllowed(Req, "GET");
    HttpAnswer A;
    A.Kind = HttpAnswer::Upgrade::Events;
    A.Run = Q.count("run") ? Q["run"] : "";
    if (!A.Run.empty()) {
      llvm::Expected<std::string> Dir = Ops.runDir(A.Run);
      if (!Dir)
        return answer(problemResponse(Req, Dir.takeError()));
      A.Run = llvm::sys::path::filename(*Dir).str();
    }
    return A;
  }
  if (Path == "lint" || Path == "build" || Path == "explain") {
    if (!Post)
      return methodNotAllowed(Req, "POST");
    llvm::Expected<SpecRequest> S = specRequest(Req);
    if (!S)
      return answer(problemResponse(Req, S.takeError()));
    return answer(Req, Ops.compileSpec(*S, Path == "lint"    ? CompileMode::Lint
                                           : Path == "build" ? CompileMode::Build
                                                             : CompileMode::Explain));
  }
  if (Path == "runs") {
    if (Get)
      return answer(Req, Ops.listRuns());
    if (!Post)
      return methodNotAllowed(Req, "GET, POST");
    llvm::Expected<StartRequest> S = startRequest(Req);
    if (!S)
      return answer(problemResponse(Req, S.takeError()));
    llvm::Expected<json::Object> O = Ops.startRun(*S);
    HttpAnswer A = answer(Req, std::move(O), 201);
    if (A.Response.result_int() == 201) {
      llvm::Expected<json::Value> V = json::parse(A.Response.body());
      if (!V)
        llvm::consumeError(V.takeError());
      else if (const json::Object *R = V->getAsObject())
        A.Response.set(http::field::location,
                       "/api/v1/runs/" +
                           R->getString("id").getValueOr("").str());
    }
    return A;
  }
  if (!Path.consume_front("runs/"))
    return answer(problemResponse(Req, 404, "not-found",
                                  "no such resource: " + pathOf(Req).str()));
  auto [RunPart, Rest] = Path.split('/');
  std::optional<std::string> Run = percentDecode(RunPart, false);
  if (!Run || Run->empty())
    return answer(problemResponse(Req, 400, "bad-request",
                                  "a malformed run id in the path"));
  if (Rest.empty()) {
    if (!Get)
      return methodNotAllowed(Req, "GET");
    return answer(Req, Ops.getRun(*Run));
  }
  if (Rest == "stop" || Rest == "resume") {
    if (!Post)
      return methodNotAllowed(Req, "POST");
    return answer(Req, Rest == "stop" ? Ops.stopRun(*Run) : Ops.resumeRun(*Run),
                  202);
  }
  if (Rest == "mail") {
    if (Get)
      return answer(Req, Ops.mailList(*Run, Q.count("mailbox")
                                                 ? Q["mailbox"]
                                                 : std::string()));
    if (!Post)
      return methodNotAllowed(Req, "GET, POST");
    llvm::Expected<json::Object> O = bodyObject(Req);
    if (!O)
      return answer(problemResponse(Req, O.takeError()));
    std::string From = "operator", To, Subject, Body;
    for (auto [Key, Field] :
         {std::pair<llvm::StringRef, std::string *>{"from", &From},
          {"to", &To},
          {"subject", &Subject},
          {"body", &Body}})
      if (llvm::Error E = stringField(*O, Key, *Field))
        return answer(problemResponse(Req, std::move(E)));
    return answer(Req, Ops.mailSend(*Run, From, To, Subject, Body), 201);
  }
  if (!Rest.consume_front("tasks/"))
    return answer(problemResponse(Req, 404, "not-found",
                                  "no such resource: " + pathOf(Req).str()));
  llvm::StringRef Action;
  for (llvm::StringRef A : TaskActions)
    if (Rest.endswith(("/" + A).str())) {
      Action = A;
      Rest = Rest.drop_back(A.size() + 1);
    }
  std::optional<std::string> Task = percentDecode(Rest, false);
  if (Action.empty() || !Task || Task->empty())
    return answer(problemResponse(
        Req, 404, "not-found",
        "no such resource: a task's are answer, transcript, diff, send, "
        "stop and terminal"));
  if (Action == "answer" || Action == "transcript" || Action == "diff" ||
      Action == "terminal") {
    if (!Get)
      return methodNotAllowed(Req, "GET");
  } else if (!Post) {
    return methodNotAllowed(Req, "POST");
  }
  if (Action == "answer")
    return answer(Req, Ops.taskAnswer(*Run, *Task));
  if (Action == "transcript") {
    size_t Max = DefaultTranscriptBytes;
    if (Q.count("max_bytes")) {
      unsigned long long N = 0;
      if (llvm::getAsUnsignedInteger(Q["max_bytes"], 10, N) || N == 0)
        return answer(problemResponse(Req, 400, "bad-request",
                                      "max_bytes must be a positive integer"));
      Max = static_cast<size_t>(std::min<unsigned long long>(N, 16 << 20));
    }
    return answer(Req, Ops.transcript(*Run, *Task, Q["raw"] == "1" ||
                                                        Q["raw"] == "true",
                                      Max));
  }
  if (Action == "diff")
    return answer(Req, Ops.worktreeDiff(*Run, *Task));
  if (Action == "stop")
    return answer(Req, Ops.stopRun(*Run, *Task), 202);
  if (Action == "send") {
    llvm::Expected<json::Object> O = bodyObject(Req);
    if (!O)
      return answer(problemResponse(Req, O.takeError()));
    std::string Text;
    bool Enter = true;
    if (llvm::Error E = stringField(*O, "text", Text))
      return answer(problemResponse(Req, std::move(E)));
    if (llvm::Error E = boolField(*O, "enter", Enter))
      return answer(problemResponse(Req, std::move(E)));
    return answer(Req, Ops.sendText(*Run, *Task, Text, Enter));
  }
  // terminal: a WebSocket.
  if (!boost::beast::websocket::is_upgrade(Req))
    return answer(problemResponse(Req, 426, "upgrade-required",
                                  "the terminal is a WebSocket: connect "
                                  "with Upgrade: websocket"));
  llvm::Expected<std::string> Socket = Ops.controlSocket(*Run);
  if (!Socket)
    return answer(problemResponse(Req, Socket.takeError()));
  HttpAnswer A;
  A.Kind = HttpAnswer::Upgrade::Terminal;
  A.Run = *Run;
  A.Socket = *Socket;
  A.Task = *Task;
  A.Write = Q["write"] == "1" || Q["write"] == "true";
  unsigned long long Rows = 0, Cols = 0;
  if (Q.count("rows") && !llvm::getAsUnsignedInteger(Q["rows"], 10, Rows) &&
      Rows <= 1000)
    A.Rows = static_cast<unsigned>(Rows);
  if (Q.count("cols") && !llvm::getAsUnsignedInteger(Q["cols"], 10, Cols) &&
      Cols <= 1000)
    A.Cols = static_cast<unsigned>(Cols);
  return A;
}
} // namespace

HttpAnswer server::handleHttpRequest(const HttpRequest &Req,
                                     RequestContext &Ctx) {
  // A page on another name that resolves here (DNS rebinding), or another
  // site's page (a cross-site WebSocket): refused before the token matters.
  llvm::StringRef Host = header(Req, http::field::host);
  if (!hostAllowed(Host, Ctx))
    return answer(problemResponse(
        Req, 403, "forbidden-host",
        "this server answers to " + llvm::join(Ctx.Hosts, ", ") +
            ", not to the Host this request names"));
  if (Req.find(http::field::origin) != Req.end() &&
      !originAllowed(header(Req, http::field::origin), Ctx))
    return answer(problemResponse(Req, 403, "forbidden-origin",
                                  "requests from another site's pages are "
                                  "refused"));
  llvm::StringRef Path = pathOf(Req);
  // The URL --print-url prints: the token moves into a cookie, and the
  // browser is sent to the same place without it.
  std::map<std::string, std::string> Q = queryOf(Req);
  if (Q.count("token") &&
      (Req.method() == http::verb::get || Req.method() == http::verb::head)) {
    if (!tokenMatches(Q["token"], Ctx.Token))
      return answer(problemResponse(Req, 401, "unauthorized",
                                    "the token in the URL is not this "
                                    "server's"));
    HttpResponse R{http::status::see_other, Req.version()};
    commonHeaders(R);
    R.set(http::field::location, Path.empty() ? "/" : Path.str());
    R.set(http::field::set_cookie,
          fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}",
                      TokenCookie, Ctx.Token, Ctx.Tls ? "; Secure" : ""));
    R.keep_alive(Req.keep_alive());
    R.prepare_payload();
    return answer(std::move(R));
  }
  if (!tokenMatches(givenToken(Req), Ctx.Token))
    return answer(problemResponse(
        Req, 401, "unauthorized",
        "this server needs its token: Authorization: Bearer TOKEN (the "
        "token is in " +
            tokenFile() + ")"));
  if (Path == "/" || !Path.startswith("/api/"))
    return answer(problemResponse(Req, 404, "not-found",
                                  "nothing here yet: the API is under "
                                  "/api/v1/ (docs/server.md)"));
  HttpAnswer A = route(Req, Ctx, Path);
  if (Req.method() == http::verb::head)
    A.Response.body().clear();
  return A;
}
