//===- MailFuzzer.cpp - libFuzzer target: the mail message parser ----------===//
//
// Feeds arbitrary bytes to runtime::parseMessage, what reading a mailbox does
// with every file in new/ and cur/ (any process of the run's user can put
// one there). A message it accepts must survive a round trip: when
// formatMessage can write it, parsing that text gives the same message back.
// A crash, a sanitizer report or a broken round trip is a finding.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/Mailbox.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace connectorc::runtime;

namespace {
bool same(const MailMessage &A, const MailMessage &B) {
  return A.From == B.From && A.To == B.To && A.Subject == B.Subject &&
         A.Date == B.Date && A.Body == B.Body;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Text(reinterpret_cast<const char *>(Data), Size);
  llvm::Expected<MailMessage> M = parseMessage(Text);
  if (!M) {
    llvm::consumeError(M.takeError());
    return 0;
  }
  for (const std::string &Name : {M->From, M->To})
    (void)checkMailboxName(Name);
  llvm::Expected<std::string> Formatted = formatMessage(*M);
  if (!Formatted) { // a header formatMessage refuses to write
    llvm::consumeError(Formatted.takeError());
    return 0;
  }
  llvm::Expected<MailMessage> Back = parseMessage(*Formatted);
  if (!Back || !same(*M, *Back)) {
    if (!Back)
      llvm::consumeError(Back.takeError());
    std::fprintf(stderr, "mail round trip broken; formatted:\n%s\n",
                 Formatted->c_str());
    std::abort();
  }
  return 0;
}
