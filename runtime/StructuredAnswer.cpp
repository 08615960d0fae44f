//===- StructuredAnswer.cpp - an answer from a CLI's JSON output ----------===//
#include "runtime/StructuredAnswer.h"

#include "llvm/Support/JSON.h"

#include <optional>

using namespace connectorc;

/// \p Field of \p Text when \p Text is a JSON object that has it as a string.
static std::optional<std::string> memberOf(llvm::StringRef Text,
                                           llvm::StringRef Field) {
  llvm::Expected<llvm::json::Value> V = llvm::json::parse(Text);
  if (!V) {
    llvm::consumeError(V.takeError());
    return std::nullopt;
  }
  const llvm::json::Object *O = V->getAsObject();
  if (!O)
    return std::nullopt;
  if (llvm::Optional<llvm::StringRef> S = O->getString(Field))
    return S->str();
  return std::nullopt;
}

llvm::Expected<std::string> runtime::extractJsonAnswer(llvm::StringRef Output,
                                                       llvm::StringRef Field) {
  Output = Output.trim();
  if (std::optional<std::string> Whole = memberOf(Output, Field))
    return *Whole;
  // A JSON-lines stream: the last event that carries the answer.
  llvm::StringRef Rest = Output;
  while (!Rest.empty()) {
    size_t NL = Rest.rfind('\n');
    llvm::StringRef Line =
        (NL == llvm::StringRef::npos ? Rest : Rest.substr(NL + 1)).trim();
    Rest = NL == llvm::StringRef::npos ? "" : Rest.take_front(NL);
    if (Line.startswith("{"))
      if (std::optional<std::string> S = memberOf(Line, Field))
        return *S;
  }
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "the output has no JSON object with a string '" + Field + "'");
}
