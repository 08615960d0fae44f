//===- AdversarialCorpus.h - the quoting tests' hostile strings -*- C++ -*-===//
//
// test/unit/Inputs/adversarial-strings.json: shell, make, YAML, CI and TOML
// metacharacters, control characters, non-ASCII text. Every quoting function
// is tested over all of it.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_TEST_UNIT_ADVERSARIALCORPUS_H
#define CONNECTORC_TEST_UNIT_ADVERSARIALCORPUS_H

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace connectorc::test {

/// The corpus's strings, in its order; a failed expectation when it cannot
/// be read.
inline std::vector<std::string> adversarialCorpus() {
  auto Buf = llvm::MemoryBuffer::getFile(
      CONNECTORC_SOURCE_DIR "/test/unit/Inputs/adversarial-strings.json");
  EXPECT_TRUE(bool(Buf));
  if (!Buf)
    return {};
  llvm::Expected<llvm::json::Value> V = llvm::json::parse((*Buf)->getBuffer());
  EXPECT_TRUE(bool(V)) << llvm::toString(V.takeError());
  std::vector<std::string> Out;
  if (const llvm::json::Array *A = V ? V->getAsArray() : nullptr)
    for (const llvm::json::Value &S : *A)
      Out.push_back(S.getAsString().getValueOr("").str());
  return Out;
}

/// Runs `python3 -c Check DOC HEX`, DOC a file holding \p Document and HEX
/// one holding each of \p Strings in hex, a line each: \p Check reads the
/// document with a parser of its own and exits 0 only when it gave back
/// every string, byte for byte.
inline void expectPythonReadsBack(const char *Check, llvm::StringRef Document,
                                  const std::vector<std::string> &Strings) {
  llvm::SmallString<128> Doc, Hex;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("corpus", "doc", Doc));
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("corpus", "hex", Hex));
  {
    std::error_code EC;
    llvm::raw_fd_ostream D(Doc, EC), X(Hex, EC);
    ASSERT_FALSE(EC);
    D << Document;
    for (const std::string &S : Strings)
      X << llvm::toHex(S, /*LowerCase=*/true) << "\n";
  }
  llvm::ErrorOr<std::string> Python = llvm::sys::findProgramByName("python3");
  ASSERT_TRUE(bool(Python));
  std::string Err;
  int Rc = llvm::sys::ExecuteAndWait(
      *Python, {*Python, "-c", Check, Doc.str(), Hex.str()}, llvm::None, {},
      0, 0, &Err);
  EXPECT_EQ(Rc, 0) << Err;
  llvm::sys::fs::remove(Doc);
  llvm::sys::fs::remove(Hex);
}

} // namespace connectorc::test

#endif
