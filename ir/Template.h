//===- Template.h - `{worker}`-style string templates ------------*- C++ -*-===//
//
// Strings in prompt, session.worktree and output may use {worker}, {phase},
// {name}, {model}, {machine}, {run} and {scratchpad}. Only `{identifier}` (a
// `{`, [A-Za-z_][A-Za-z0-9_]*, a `}`, nothing between) is a reference; `{{` is
// always a literal `{` and `}}` a literal `}`; any other brace is literal text,
// so prompts can quote code and JSON. Scanning is left to right: `{{worker}}`
// is the text `{worker}`, `{{{worker}` a `{` then the variable. Problems keep
// their offset in the string so a checker can point at the exact column.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_TEMPLATE_H
#define CONNECTORC_IR_TEMPLATE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace connectorc {

/// A template's one kind of problem: a `{identifier}` that names no
/// variable templateVariables() lists, and where it is.
struct TemplateProblem {
  std::string Name;  ///< The unknown variable's name.
  size_t Offset = 0; ///< Of its `{`.
  size_t Length = 1; ///< Of the whole `{name}`.
};

/// The variables a template may use.
llvm::ArrayRef<llvm::StringRef> templateVariables();

/// Reports the problems of \p Text without building its pieces (the
/// checker's fast path: most strings have no problem).
void checkTemplate(llvm::StringRef Text,
                   llvm::SmallVectorImpl<TemplateProblem> &Problems);

/// Renders \p Text with the variables \p Lookup knows substituted; the
/// others stay as `{var}`, so the result is again a template — for the
/// runtime's {run} and {scratchpad}. Every literal brace of the result is
/// written escaped (`{{`, `}}`), whether \p Text escaped it or not, and so
/// are the braces of substituted values: a value holding `{x}` is never
/// substituted again, and expanding the result again changes nothing.
/// Problems of \p Text are appended to \p Problems.
std::string
expandTemplate(llvm::StringRef Text,
               llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)>
                   Lookup,
               llvm::SmallVectorImpl<TemplateProblem> &Problems);

/// The size of expandTemplate(Text, Lookup, Problems) without building it,
/// with the same problems appended: lint needs a task's prompt only for its
/// size (the cost estimate).
size_t
expandedSize(llvm::StringRef Text,
             llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)>
                 Lookup,
             llvm::SmallVectorImpl<TemplateProblem> &Problems);

/// Replaces each `{var}` of \p Text that \p Lookup knows and reads `{{` and
/// `}}` as single braces: the final text an agent reads.
std::string
substituteTemplate(llvm::StringRef Text,
                   llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)>
                       Lookup);

/// What a piece of a prompt is to the runtime.
enum class PromptPieceKind {
  Literal,   ///< text to pass as it is
  RunDir,    ///< `{run}`: the run's directory
  Scratchpad ///< `{scratchpad}`: the run's scratchpad directory
};

/// A piece of a prompt; Text only for a Literal.
struct PromptPiece {
  PromptPieceKind Kind;
  std::string Text;
};

/// \p Prompt (a plan's: every other variable already substituted) split at
/// the runtime's {run} and {scratchpad}, read as a template: `{{` and `}}`
/// are single braces, any other brace and any other `{var}` literal text.
/// Neighbouring text is one Literal piece, never an empty one: "" has no
/// pieces. The runtime, the shell backends and the CI backends all read
/// prompts through this.
std::vector<PromptPiece> splitPrompt(llvm::StringRef Prompt);

} // namespace connectorc

#endif
