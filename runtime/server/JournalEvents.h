//===- JournalEvents.h - the live runs' journals as they grow ----*- C++ -*-===//
//
// Follows the journal (events.jsonl) of every live run of the user (the
// runtime directory's runs/ lists them) on a loop, with inotify: the runs/
// directory for runs that start and end, each run directory for its
// journal's writes. Every whole line committed is handed to the
// subscribers as its event with the run's id. A run found at start is
// followed from its journal's end; a run that starts later, from its
// beginning. A one-second timer looks again in case a notification was
// missed (an overflowing inotify queue).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SERVER_JOURNALEVENTS_H
#define CONNECTORC_RUNTIME_SERVER_JOURNALEVENTS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace connectorc::server {

class JournalEvents {
public:
  /// \p Run: the run's id; \p Event: the journal's event, as written.
  using Listener =
      std::function<void(llvm::StringRef Run, const llvm::json::Object &Event)>;
  JournalEvents(boost::asio::io_context &Io, std::string RuntimeDir);
  ~JournalEvents();
  /// Starts following (the first subscriber starts it too).
  void start();
  unsigned subscribe(Listener L);
  void unsubscribe(unsigned Id);
  /// Stops following.
  void stop();

  struct Impl;

private:
  std::shared_ptr<Impl> I;
};

} // namespace connectorc::server

#endif
