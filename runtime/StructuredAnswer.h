//===- StructuredAnswer.h - an answer from a CLI's JSON output ---*- C++
//-*-===//
//
// Some CLIs can print their result as JSON (`claude -p --output-format json`,
// `gemini --output-format json`, JSON-lines event streams). When the provider
// registry names the member that holds the answer (`answer_json_field`), the
// answer saved for the next phase is that text, not the JSON around it.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_STRUCTUREDANSWER_H
#define CONNECTORC_RUNTIME_STRUCTUREDANSWER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace connectorc::runtime {

/// The string member \p Field of the JSON object \p Output holds: the whole
/// output as one JSON document, or else the last line that is a JSON object
/// with that member (a JSON-lines stream). An error says why there is none.
llvm::Expected<std::string> extractJsonAnswer(llvm::StringRef Output,
                                              llvm::StringRef Field);

} // namespace connectorc::runtime

#endif
