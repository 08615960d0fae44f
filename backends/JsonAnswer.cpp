//===- JsonAnswer.cpp - the jq program that finds a structured answer -----===//
//
// Documents are found as runtime/executor/StructuredAnswer.cpp finds them: a line
// whose first non-blank character is '{' or '[' starts a candidate; one
// that parses alone is a document, one whose brackets stay open (strings
// skipped) takes the following lines until they close, and a candidate
// that does not parse then is not one (scanning goes on at its second
// line). docs/backends.md lists where this differs from the runtime.
//
//===----------------------------------------------------------------------===//
#include "backends/JsonAnswer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace connectorc;
using llvm::StringRef;

/// What every program defines; `answer(FIELD; WHERE)` is then called with
/// the binding's pointers as arrays of tokens.
static constexpr const char *Definitions = R"JQ(# connectorc: the answer among the JSON the CLI printed (docs/backends.md)
def at($t):
  if type == "object" then
    if $t == "*" then .[] elif has($t) then .[$t] else empty end
  elif type == "array" then
    if $t == "*" then .[]
    elif ($t | length) > 0 and ($t | length) < 10
      and ($t | explode | all(. >= 48 and . <= 57))
    then .[$t | tonumber] // empty
    else empty end
  else empty end;
def get($p): if $p == [] then . else at($p[0]) | get($p[1:]) end;
def str($p): first(get($p) | strings);
def opens:
  [first(explode[] | select(. != 32 and . != 9 and . != 13))]
  | . == [123] or . == [91];
def depth:
  reduce explode[] as $c ({d: 0, q: false, e: false};
    if .q then
      if .e then .e = false elif $c == 92 then .e = true
      elif $c == 34 then .q = false else . end
    elif $c == 34 then .q = true
    elif $c == 123 or $c == 91 then .d += 1
    elif $c == 125 or $c == 93 then .d -= 1
    else . end) | .d;
def found($field; $where):
  [if type == "array" then .[] | objects else . end
   | . as $d
   | select(all($where[]; . as [$p, $v] | [$d | str($p)] == [$v]))
   | str($field)] | last;
def answer($field; $where; $none):
  split("\n") as $l | ($l | length) as $n
  | def take($t):
      ($t | try fromjson catch null) as $v
      | if $v == null then .i = .s + 1
        else .a = (($v | found($field; $where)) // .a) | .i += 1 end
      | .s = -1;
    {i: 0, s: -1, d: 0, a: null}
    | until(.i >= $n and .s < 0;
        if .s >= 0 then
          if .i >= $n then .i = .s + 1 | .s = -1
          else .d += ($l[.i] | depth)
            | if .d > 0 then .i += 1 else take($l[.s:.i + 1] | join("\n")) end
          end
        elif ($l[.i] | opens | not) then .i += 1
        elif ($l[.i] | try fromjson catch null) != null then .s = .i | take($l[.i])
        else .d = ($l[.i] | depth) | if .d > 0 then .s = .i else . end | .i += 1
        end)
    | .a // error($none);
)JQ";

/// \p S as a JSON (and jq) string literal.
static std::string literal(StringRef S) {
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  OS << llvm::json::Value(llvm::json::isUTF8(S) ? S.str()
                                                 : llvm::json::fixUTF8(S));
  return OS.str();
}

/// A JSON Pointer's tokens (unescaped: ~1 is '/', ~0 is '~'), or a member
/// name as the one token, as the runtime reads answer_json_field: a jq array.
static std::string tokens(StringRef Pointer) {
  std::vector<std::string> Out;
  if (!Pointer.startswith("/")) {
    Out.push_back(literal(Pointer));
  } else {
    llvm::SmallVector<StringRef, 4> Parts;
    Pointer.drop_front().split(Parts, '/');
    for (StringRef Part : Parts) {
      std::string Token;
      for (size_t I = 0; I < Part.size(); ++I) {
        bool Escape = Part[I] == '~' && I + 1 < Part.size() &&
                      (Part[I + 1] == '0' || Part[I + 1] == '1');
        Token += Escape ? (Part[++I] == '0' ? '~' : '/') : Part[I];
      }
      Out.push_back(literal(Token));
    }
  }
  return fmt::format("[{}]", llvm::join(Out, ", "));
}

/// The runtime's words when there is no answer (runtime::extractJsonAnswer).
static std::string noAnswer(const ir::ModelBinding &B) {
  StringRef Field = B.AnswerJsonField;
  return fmt::format(
      "the output has no JSON object with {} '{}'{}",
      Field.startswith("/") ? "a string at" : "a string", Field,
      B.AnswerJsonWhere.empty() ? ""
                                : " (among those answer_json_where selects)");
}

std::string connectorc::answerJqProgram(const ir::ModelBinding &B) {
  if (B.AnswerJsonField.empty())
    return "";
  std::vector<std::string> Where;
  for (const auto &[Pointer, Want] : B.AnswerJsonWhere)
    Where.push_back(fmt::format("[{}, {}]", tokens(Pointer), literal(Want)));
  return fmt::format("{}answer({}; [{}]; {})\n", Definitions,
                     tokens(B.AnswerJsonField), llvm::join(Where, ", "),
                     literal(noAnswer(B)));
}
