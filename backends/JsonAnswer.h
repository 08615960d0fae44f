//===- JsonAnswer.h - a structured answer found with jq ---------*- C++ -*-===//
//
// A binding with answer_json_field prints JSON (one document, JSON lines, an
// array of events) among other text; runtime/executor/StructuredAnswer.h says which
// string is the answer. The sh, make, github and gitlab backends find it
// with jq, all through the one program written here.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_BACKENDS_JSONANSWER_H
#define CONNECTORC_BACKENDS_JSONANSWER_H

#include "ir/Plan.h"

#include <string>

namespace connectorc {

/// jq's options for answerJqProgram: the whole output as one raw string
/// (-Rs), the answer printed as it is, with no newline added (-j).
inline constexpr const char *AnswerJqOptions = "-Rsj";

/// The jq program that prints \p B's answer from the CLI's output read with
/// AnswerJqOptions: the string at AnswerJsonField of the last JSON document
/// that holds each AnswerJsonWhere string, as runtime::extractJsonAnswer
/// finds it; when there is none it fails (jq's exit status 5) with the
/// runtime's message. Empty when \p B's answer is its whole output. The
/// program is untrusted text (the pointers and values are the registry's):
/// quote it as one word.
std::string answerJqProgram(const ir::ModelBinding &B);

} // namespace connectorc

#endif
