//===- FakeHttp.h - an HTTP server's world with nothing in it ---*- C++ -*-===//
//
// For HttpServerTest and the http fuzzer: the real operations in an empty
// runtime directory and project (made under the temporary directory, removed
// after), with a daemon that holds nothing and starts nothing, and a
// request context that answers to 127.0.0.1:7878 and localhost:7878.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_TEST_FAKEHTTP_H
#define CONNECTORC_TEST_FAKEHTTP_H

#include "runtime/daemon/Control.h"
#include "runtime/server/HttpServer.h"

#include "llvm/Support/FileSystem.h"

#include <memory>
#include <string>

namespace connectorc::fakes {

struct NoDaemon : runtime::RunControl {
  llvm::json::Object status() override {
    return llvm::json::Object{{"runs", llvm::json::Array()}};
  }
  llvm::Error stop(llvm::StringRef) override {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "no");
  }
  llvm::Expected<runtime::Terminal *> terminal(llvm::StringRef,
                                               std::string &) override {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "no");
  }
  std::optional<llvm::json::Object> call(llvm::StringRef,
                                         const llvm::json::Object &) override {
    return llvm::json::Object{{"ok", false}, {"error", "this daemon starts no run"}};
  }
};

struct EmptyServer {
  explicit EmptyServer(std::string Token) {
    llvm::SmallString<128> Dir;
    if (llvm::sys::fs::createUniqueDirectory("connectorc-http", Dir))
      std::abort();
    Root = Dir.str().str();
    llvm::sys::fs::create_directories(Root + "/runtime/runs");
    llvm::sys::fs::create_directories(Root + "/project");
    server::OperationsConfig C;
    C.RuntimeDir = Root + "/runtime";
    C.ProjectDir = Root + "/project";
    C.Daemon = &Daemon;
    Ops = std::make_unique<server::Operations>(std::move(C));
    Ctx.Ops = Ops.get();
    Ctx.Token = std::move(Token);
    Ctx.Hosts = {"127.0.0.1:7878", "localhost:7878"};
  }
  ~EmptyServer() { llvm::sys::fs::remove_directories(Root); }
  std::string Root;
  NoDaemon Daemon;
  std::unique_ptr<server::Operations> Ops;
  server::RequestContext Ctx;
};

} // namespace connectorc::fakes

#endif
