//===- Journal.h - the run's append-only event log ---------------*- C++
//-*-===//
//
// events.jsonl: one JSON object per line, each ending in a "crc" field, the
// CRC-32 of the line without it, so a record torn by a crash (or any damaged
// line) is recognised and ignored on reading. A record counts once it is on
// disk: append() with Sync calls fdatasync before returning.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_JOURNAL_H
#define CONNECTORC_RUNTIME_JOURNAL_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <optional>
#include <string>
#include <vector>

namespace connectorc::runtime {

/// A string field of an event ("" when missing).
llvm::StringRef eventString(const llvm::json::Object &E, llvm::StringRef Key);
/// An integer field of an event (0 when missing).
int64_t eventInteger(const llvm::json::Object &E, llvm::StringRef Key);
/// A number field of an event (0 when missing).
double eventNumber(const llvm::json::Object &E, llvm::StringRef Key);

/// Serialises \p Event as one self-checking journal line (with "\n").
std::string encodeJournalLine(const llvm::json::Object &Event);

/// The event a journal line holds, or std::nullopt when the line is torn or
/// damaged (its checksum does not match).
std::optional<llvm::json::Object> decodeJournalLine(llvm::StringRef Line);

/// The events of a journal's text, in order; damaged lines are skipped and
/// counted in \p Damaged when given.
std::vector<llvm::json::Object> readJournalText(llvm::StringRef Text,
                                                unsigned *Damaged = nullptr);

/// Reads a journal file (missing file = no events).
llvm::Expected<std::vector<llvm::json::Object>>
readJournal(llvm::StringRef Path);

/// An open journal file.
class Journal {
public:
  /// Opens \p Path for appending. A torn last line left by a crash is cut off
  /// first, so the next record starts on a line of its own.
  static llvm::Expected<Journal> open(llvm::StringRef Path);
  Journal(Journal &&Other) noexcept;
  Journal &operator=(Journal &&Other) noexcept;
  ~Journal();

  /// Writes one record; with \p Sync it is on disk when this returns.
  llvm::Error append(const llvm::json::Object &Event, bool Sync);
  /// Puts every record written so far on disk.
  llvm::Error sync();

private:
  explicit Journal(int FD) : FD(FD) {}
  int FD = -1;
};

} // namespace connectorc::runtime

#endif
