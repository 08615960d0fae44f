//===- FakeControl.h - a run's control, without one ------------*- C++ -*-===//
//
// A RunControl of named tasks whose terminals are real screens with no
// program behind them, for the control protocol's unit tests
// (ControlTest.cpp) and its fuzz target (test/fuzz/ControlFuzzer.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_TEST_UNIT_FAKECONTROL_H
#define CONNECTORC_TEST_UNIT_FAKECONTROL_H

#include "runtime/daemon/Control.h"
#include "runtime/session/Screen.h"

#include <cassert>
#include <map>
#include <utility>
#include <vector>

namespace connectorc::runtime {

/// A terminal with a real screen: what is typed shows on it (as an agent
/// that echoes its keys would print it). A resize is only noted: the
/// screen keeps its 24x80, since a window of up to 1000x1000 would make each
/// redraw a million cells, seconds under the fuzzer's sanitizers, and the
/// screen's resizing is ScreenTest's to test.
class FakeTerminal : public Terminal {
public:
  FakeTerminal() : S(24, 80) {}
  const Screen &screen() override { return S; }
  void input(llvm::StringRef Bytes) override {
    Typed += Bytes.str();
    S.feed(Bytes);
  }
  void resize(unsigned Rows, unsigned Cols) override {
    // The server keeps the window within the protocol's bounds.
    assert(Rows > 0 && Cols > 0 && Rows <= MaxWindowSide &&
           Cols <= MaxWindowSide);
    Resizes.emplace_back(Rows, Cols);
  }
  unsigned listen(Listener) override { return ++Listeners; }
  void unlisten(unsigned) override {}

  Screen S;
  std::string Typed;
  std::vector<std::pair<unsigned, unsigned>> Resizes;
  unsigned Listeners = 0;
};

/// A run of the tasks named at construction, each with a FakeTerminal.
class FakeRun : public RunControl {
public:
  explicit FakeRun(std::vector<std::string> Names) {
    for (std::string &N : Names)
      Tasks[std::move(N)] = std::make_unique<FakeTerminal>();
  }
  llvm::json::Object status() override {
    llvm::json::Array Ids;
    for (const auto &[Id, T] : Tasks)
      Ids.push_back(llvm::json::Object{{"id", Id}});
    return llvm::json::Object{{"id", "fake"}, {"tasks", std::move(Ids)}};
  }
  llvm::Error stop(llvm::StringRef Task) override {
    if (!Task.empty() && !Tasks.count(Task.str()))
      return noTask(Task);
    Stopped.push_back(Task.str());
    return llvm::Error::success();
  }
  llvm::Expected<Terminal *> terminal(llvm::StringRef Task,
                                      std::string &Id) override {
    if (Task.empty() && Tasks.size() == 1)
      Task = Tasks.begin()->first;
    auto It = Tasks.find(Task.str());
    if (It == Tasks.end())
      return noTask(Task);
    Id = It->first;
    return It->second.get();
  }
  std::optional<llvm::json::Object> call(llvm::StringRef Op,
                                         const llvm::json::Object &) override {
    if (Op == "ping")
      return llvm::json::Object{{"ok", true}};
    return std::nullopt;
  }
  FakeTerminal &task(const std::string &Id) { return *Tasks.at(Id); }

  std::map<std::string, std::unique_ptr<FakeTerminal>> Tasks;
  std::vector<std::string> Stopped;

private:
  static llvm::Error noTask(llvm::StringRef Task) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no task '" + Task + "' is running");
  }
};

} // namespace connectorc::runtime

#endif
