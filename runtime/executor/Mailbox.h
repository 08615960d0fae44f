//===- Mailbox.h - maildir mailboxes of a run -------------------*- C++ -*-===//
//
// A run whose tasks have mailboxes (pipeline.mailbox, mesh agents) keeps one
// maildir per participant under <run>/mail/<name>/{tmp,new,cur}. Delivery
// writes the message to tmp/ under a name unique across processes, PID
// namespaces and hosts, flushes it to disk, renames it into new/ and flushes
// new/ itself: a reader sees a whole message or none, and a delivery that
// returned is on disk. Reading renames new/NAME to cur/NAME:2,S, so two
// readers of one mailbox never both get a message. A crash can leave a file
// in tmp/, which no reader looks at (docs/mail.md).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_MAILBOX_H
#define CONNECTORC_RUNTIME_MAILBOX_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace connectorc::runtime {

/// One message: "From: <name>\nTo: <name>\nSubject: <s>\nDate: <RFC 3339
/// UTC>\n\n<body>".
struct MailMessage {
  std::string From;
  std::string To;
  std::string Subject;
  std::string Date;
  std::string Body;
};

/// A message file of a mailbox.
struct MailEntry {
  std::string Path;  ///< where it is now
  std::string Name;  ///< its unique name, without the ":2,S" of cur/
  bool Seen = false; ///< in cur/
  /// Empty when the file is not a message; then Message.Body is its text.
  std::string Error;
  MailMessage Message;
};

/// Why \p Name cannot name a mailbox ("" when it can): it must be one
/// directory name (not empty, ".", "..", no '/'), with no control character.
std::string checkMailboxName(llvm::StringRef Name);

/// The text of \p M; fails when From or To is not a mailbox name or the
/// subject holds a line break or another control character (a header value
/// could otherwise add headers of its own).
llvm::Expected<std::string> formatMessage(const MailMessage &M);

/// Parses a message's text; fails when it has no blank line ending the
/// headers, or no From, To or Date.
llvm::Expected<MailMessage> parseMessage(llvm::StringRef Text);

/// A name for a new message file: "<secs>.M<usecs>P<pid>R<random>Q<n>.<host>"
/// (usecs with six digits, so names sort by time; '/' and ':' of the host
/// written as \057 and \072, as maildir does).
std::string uniqueMessageName();

/// Creates \p Root/\p Name/{tmp,new,cur}; nothing happens when they exist.
llvm::Error createMailbox(llvm::StringRef Root, llvm::StringRef Name);

/// The mailboxes under \p Root: every directory that has a new/, sorted.
std::vector<std::string> listMailboxes(llvm::StringRef Root);

/// The recipients \p To means for \p From: every other mailbox for "all",
/// else \p To itself. Does not check that they exist (deliver does).
std::vector<std::string> recipients(llvm::StringRef Root, llvm::StringRef From,
                                    llvm::StringRef To);

/// Delivers \p M to mailbox \p M.To under \p Root (which must exist) and
/// returns the message's path in new/.
llvm::Expected<std::string> deliver(llvm::StringRef Root, const MailMessage &M);

/// Moves every message of \p Name's new/ to cur/ and returns them, oldest
/// first. A message another reader took first is left out.
llvm::Expected<std::vector<MailEntry>> readNewMail(llvm::StringRef Root,
                                                   llvm::StringRef Name);

/// Like readNewMail, but when new/ is empty waits up to \p Seconds for a
/// message to arrive (inotify; no polling). Returns none when none came.
llvm::Expected<std::vector<MailEntry>>
waitForMail(llvm::StringRef Root, llvm::StringRef Name, double Seconds);

/// Every message of \p Name's new/ and cur/, oldest first; moves nothing.
llvm::Expected<std::vector<MailEntry>> listMail(llvm::StringRef Root,
                                                llvm::StringRef Name);

} // namespace connectorc::runtime

#endif
