//===- Registry.cpp - the provider registry -------------------------------===//
#include "passes/Registry.h"

#include "ir/Fmt.h"
#include "ir/PatternSize.h"
#include "ir/UserConfig.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Regex.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <valijson/adapters/rapidjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

using namespace connectorc;
using rapidjson::Value;

const RegistryModel *Provider::findModel(llvm::StringRef Name) const {
  for (const RegistryModel &M : Models)
    if (M.Name == Name)
      return &M;
  return nullptr;
}

const Provider *ProviderRegistry::find(llvm::StringRef Name) const {
  auto It = Providers.find(Name);
  return It == Providers.end() ? nullptr : &It->second;
}

std::optional<std::string>
ProviderRegistry::shorthand(llvm::StringRef ProviderName,
                            llvm::StringRef Name) const {
  auto It = Shorthands.find(Name);
  if (It == Shorthands.end() || It->second.first != ProviderName)
    return std::nullopt;
  return It->second.second;
}

std::vector<std::string> ProviderRegistry::providerNames() const {
  return Order;
}

static std::string str(const Value &V) {
  return V.IsString() ? std::string(V.GetString(), V.GetStringLength())
                      : std::string();
}

static std::vector<std::string> strings(const Value &V) {
  std::vector<std::string> Out;
  if (V.IsArray())
    for (const Value &E : V.GetArray())
      Out.push_back(str(E));
  return Out;
}

/// The string members of \p Obj, in order.
static ir::EnvList pairs(const Value &Obj) {
  ir::EnvList Out;
  for (auto &M : Obj.GetObject())
    Out.emplace_back(str(M.name), str(M.value));
  return Out;
}

/// "x-..." keys are extensions: allowed by the schema, ignored here.
static bool isExtensionKey(llvm::StringRef Key) { return Key.startswith("x-"); }

/// A registry "interactive" object (its shape checked by the schema).
static ir::InteractiveMode interactiveMode(const Value &Obj) {
  ir::InteractiveMode I;
  for (auto &M : Obj.GetObject()) {
    llvm::StringRef Key(M.name.GetString(), M.name.GetStringLength());
    const Value &V = M.value;
    if (Key == "args")
      I.Args = strings(V);
    else if (Key == "resume_args")
      I.ResumeArgs = strings(V);
    else if (Key == "ready_pattern")
      I.ReadyPattern = str(V);
    else if (Key == "transcript")
      I.Transcript = str(V);
    else if (Key == "turn_start" && V.IsObject())
      I.TurnStart = pairs(V);
    else if (Key == "turn_end" && V.IsObject())
      I.TurnEnd = pairs(V);
    else if (Key == "answer_where" && V.IsObject())
      I.AnswerWhere = pairs(V);
    else if (Key == "answer_pointer")
      I.AnswerPointer = str(V);
    else if (Key == "record_time")
      I.RecordTime = str(V);
    else if (Key == "screens" && V.IsArray())
      for (const Value &S : V.GetArray()) {
        if (!S.IsObject())
          continue;
        ir::FirstRunScreen F;
        for (auto &SM : S.GetObject()) {
          llvm::StringRef SK(SM.name.GetString(), SM.name.GetStringLength());
          if (SK == "name")
            F.Name = str(SM.value);
          else if (SK == "pattern")
            F.Pattern = str(SM.value);
          else if (SK == "keys")
            F.Keys = str(SM.value);
          else if (SK == "when")
            F.When = str(SM.value);
        }
        I.Screens.push_back(std::move(F));
      }
  }
  return I;
}

/// Applies one provider object over \p P: the keys it has replace P's,
/// models are merged by name.
static void mergeProvider(Provider &P, const Value &Obj) {
  for (auto &M : Obj.GetObject()) {
    llvm::StringRef Key(M.name.GetString(), M.name.GetStringLength());
    const Value &V = M.value;
    if (Key == "description")
      P.Description = str(V);
    else if (Key == "executable")
      P.Executable = str(V);
    else if (Key == "args")
      P.Args = strings(V);
    else if (Key == "prompt_via")
      P.Via = ir::parsePromptVia(str(V)).value_or(ir::PromptVia::Arg);
    else if (Key == "ready_pattern")
      P.ReadyPattern = str(V);
    else if (Key == "idle_pattern")
      P.IdlePattern = str(V);
    else if (Key == "interactive" && V.IsObject())
      P.Interactive = interactiveMode(V);
    else if (Key == "session_args")
      P.SessionArgs = strings(V);
    else if (Key == "resume_args")
      P.ResumeArgs = strings(V);
    else if (Key == "answer_json_field")
      P.AnswerJsonField = str(V);
    else if (Key == "answer_json_where" && V.IsObject())
      P.AnswerJsonWhere = pairs(V);
    else if (Key == "set_env" && V.IsObject())
      P.SetEnv = pairs(V);
    else if (Key == "usage" && V.IsObject()) {
      P.Usage = {};
      for (auto &U : V.GetObject()) {
        llvm::StringRef UK(U.name.GetString());
        std::string *Field = llvm::StringSwitch<std::string *>(UK)
                                 .Case("input_tokens", &P.Usage.InputTokens)
                                 .Case("output_tokens", &P.Usage.OutputTokens)
                                 .Case("cost_usd", &P.Usage.CostUsd)
                                 .Case("session_id", &P.Usage.SessionId)
                                 .Default(nullptr);
        if (Field)
          *Field = str(U.value);
      }
    }
    else if (Key == "default_model")
      P.DefaultModel = str(V);
    else if (Key == "env")
      P.EnvKeys = strings(V);
    else if (Key == "credential_files")
      P.CredentialFiles = strings(V);
    else if (Key == "sandbox" && V.IsObject()) {
      P.SandboxState.clear();
      P.SandboxEnv.clear();
      P.Endpoints.clear();
      for (auto &SM : V.GetObject()) {
        llvm::StringRef SK(SM.name.GetString(), SM.name.GetStringLength());
        if (SK == "state")
          P.SandboxState = strings(SM.value);
        else if (SK == "env")
          P.SandboxEnv = strings(SM.value);
        else if (SK == "endpoints")
          P.Endpoints = strings(SM.value);
      }
    }
    else if (Key == "default_output_tokens" && V.IsUint64())
      P.DefaultOutputTokens = V.GetUint64();
    else if (Key == "install" && V.IsObject()) {
      P.Install.clear();
      for (auto &I : V.GetObject())
        if (!isExtensionKey(str(I.name)))
          P.Install.emplace_back(str(I.name), str(I.value));
    } else if (Key == "failures" && V.IsArray()) {
      P.Failures.clear();
      for (const Value &F : V.GetArray()) {
        ir::FailurePattern FP;
        for (auto &FM : F.GetObject()) {
          llvm::StringRef FK(FM.name.GetString());
          if (FK == "kind")
            FP.Kind = str(FM.value);
          else if (FK == "pattern")
            FP.Pattern = str(FM.value);
          else if (FK == "while_running" && FM.value.IsBool())
            FP.WhileRunning = FM.value.GetBool();
          else if (FK == "exit_codes" && FM.value.IsArray())
            for (const Value &C : FM.value.GetArray())
              if (C.IsInt())
                FP.ExitCodes.push_back(C.GetInt());
        }
        P.Failures.push_back(std::move(FP));
      }
    } else if (Key == "models" && V.IsObject()) {
      for (auto &MM : V.GetObject()) {
        std::string Name = str(MM.name);
        if (isExtensionKey(Name) || !MM.value.IsObject())
          continue;
        RegistryModel *RM = nullptr;
        for (RegistryModel &Existing : P.Models)
          if (Existing.Name == Name)
            RM = &Existing;
        if (!RM) {
          P.Models.push_back({Name, {}, ir::Tier::Balanced});
          RM = &P.Models.back();
        }
        for (auto &F : MM.value.GetObject()) {
          llvm::StringRef FK(F.name.GetString());
          if (FK == "input_per_mtok" && F.value.IsNumber())
            RM->Cost.InputPerMTok = F.value.GetDouble();
          else if (FK == "output_per_mtok" && F.value.IsNumber())
            RM->Cost.OutputPerMTok = F.value.GetDouble();
          else if (FK == "tier")
            RM->ModelTier = ir::parseTier(str(F.value)).value_or(ir::Tier::Balanced);
        }
      }
    }
  }
}

/// Why one of \p P's patterns is not a POSIX ERE (which would never match,
/// silently) or is too large to compile (ir/PatternSize.h), if one is.
static std::optional<std::string> invalidPattern(const Provider &P) {
  auto Check = [](llvm::StringRef What,
                  const std::string &Pattern) -> std::optional<std::string> {
    if (std::optional<std::string> Why = patternTooLarge(Pattern))
      return fmt::format("{} '{}' is too large: {}", What, Pattern, *Why);
    std::string Error;
    if (Pattern.empty() || llvm::Regex(Pattern).isValid(Error))
      return std::nullopt;
    return fmt::format("{} '{}' is not a POSIX extended regular expression: {}",
                       What, Pattern, Error);
  };
  for (const ir::FailurePattern &F : P.Failures)
    if (std::optional<std::string> E = Check("failure pattern", F.Pattern))
      return E;
  if (std::optional<std::string> E = Check("ready_pattern", P.ReadyPattern))
    return E;
  if (P.Interactive) {
    if (std::optional<std::string> E =
            Check("interactive.ready_pattern", P.Interactive->ReadyPattern))
      return E;
    for (const ir::FirstRunScreen &S : P.Interactive->Screens)
      if (std::optional<std::string> E =
              Check("interactive screen pattern", S.Pattern))
        return E;
  }
  return Check("idle_pattern", P.IdlePattern);
}

/// valijson's schema for registry files, parsed once.
static const valijson::Schema &registrySchema() {
  static const valijson::Schema *S = [] {
    static rapidjson::Document Doc;
    Doc.Parse(providersSchemaText().data(), providersSchemaText().size());
    auto *Schema = new valijson::Schema;
    valijson::SchemaParser Parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::RapidJsonAdapter Adapter(Doc);
    Parser.populateSchema(Adapter, *Schema);
    return Schema;
  }();
  return *S;
}

bool ProviderRegistry::merge(llvm::StringRef Text, llvm::StringRef Name,
                             unsigned BufferId, DiagnosticEngine *Diags) {
  rapidjson::Document Doc;
  // Invalid UTF-8 is invalid JSON here, before valijson reads past its own
  // table on it (utf8_utils.hpp, for minLength/maxLength; found by fuzzing).
  Doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag |
            rapidjson::kParseValidateEncodingFlag>(Text.data(), Text.size());
  auto Fail = [&](size_t Offset, std::string Message) {
    if (!Diags)
      llvm::report_fatal_error(
          llvm::Twine("the built-in provider registry is invalid: ") + Message);
    const llvm::MemoryBuffer *B =
        Diags->getSourceMgr().getMemoryBuffer(BufferId);
    llvm::SMLoc L = llvm::SMLoc::getFromPointer(
        B->getBufferStart() + std::min(Offset, B->getBufferSize()));
    Diags->report(DiagKind::RegistryInvalid, {L, L}, Name, Message);
    return false;
  };
  if (Doc.HasParseError())
    return Fail(Doc.GetErrorOffset(),
                fmt::format("invalid JSON: {}",
                            rapidjson::GetParseError_En(Doc.GetParseError())));
  if (Diags) { // the user's file: check its shape first
    valijson::Validator V(valijson::Validator::kStrongTypes);
    valijson::ValidationResults Results;
    valijson::adapters::RapidJsonAdapter Adapter(Doc);
    if (!V.validate(registrySchema(), Adapter, &Results)) {
      valijson::ValidationResults::Error E;
      std::string Where, Message;
      // The deepest error (longest context) says most.
      size_t Depth = 0;
      while (Results.popError(E)) {
        if (!Message.empty() && E.context.size() <= Depth)
          continue;
        Depth = E.context.size();
        Where.clear();
        for (const std::string &C : E.context)
          if (C != "<root>")
            Where += C;
        Message = E.description;
      }
      return Fail(0, fmt::format("at {}: {}", Where.empty() ? "the top" : Where,
                                 Message));
    }
  }
  if (const auto P = Doc.FindMember("providers"); P != Doc.MemberEnd())
    for (auto &M : P->value.GetObject()) {
      std::string PName = str(M.name);
      if (isExtensionKey(PName))
        continue;
      auto [It, New] = Providers.try_emplace(PName);
      if (New) {
        It->second.Name = PName;
        Order.push_back(PName);
      }
      mergeProvider(It->second, M.value);
    }
  if (Diags)
    for (const std::string &PName : Order)
      if (Providers[PName].Executable.empty())
        return Fail(0, fmt::format("provider '{}' has no \"executable\"", PName));
  if (Diags)
    for (const std::string &PName : Order)
      if (std::optional<std::string> Bad = invalidPattern(Providers[PName]))
        return Fail(0, fmt::format("provider '{}': {}", PName, *Bad));
  if (const auto S = Doc.FindMember("shorthands"); S != Doc.MemberEnd())
    for (auto &M : S->value.GetObject()) {
      std::string SName = str(M.name);
      if (isExtensionKey(SName))
        continue;
      std::string Target = str(M.value);
      auto [Prov, Model] = llvm::StringRef(Target).split('/');
      if (Diags && !find(Prov))
        return Fail(0, fmt::format("shorthand '{}' stands for '{}', but there "
                                   "is no provider '{}'",
                                   SName, Target, Prov));
      Shorthands[SName] = {Prov.str(), Model.str()};
      if (Diags) // the user's: specs may use it (and the checker must know)
        addModelShorthand(SName, Prov, Model);
    }
  return true;
}

std::optional<ProviderRegistry>
ProviderRegistry::load(llvm::StringRef UserFile, DiagnosticEngine &Diags) {
  ProviderRegistry R;
  R.merge(builtinProvidersText(), "(built-in)", 0, nullptr);
  std::string Path = UserFile.str();
  bool Explicit = !Path.empty();
  if (!Explicit) {
    std::string P = ir::userConfigFile("providers.json");
    if (!P.empty() && llvm::sys::fs::exists(P))
      Path = P;
  }
  if (Path.empty())
    return R;
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/true);
  if (!Buf) {
    Diags.reportFile(DiagKind::FileUnreadable, Path, Path,
                     Buf.getError().message());
    return std::nullopt;
  }
  llvm::SourceMgr &SM = Diags.getSourceMgr();
  unsigned Id = SM.AddNewSourceBuffer(std::move(*Buf), llvm::SMLoc());
  if (!R.merge(SM.getMemoryBuffer(Id)->getBuffer(), Path, Id, &Diags))
    return std::nullopt;
  R.UserFile = Path;
  for (const std::string &Name : R.Order)
    addKnownProvider(Name);
  return R;
}

/// \p Args after \p Argv's executable, "{model}" replaced by \p Model (an
/// argument that is exactly "{model}" goes with its flag when \p Model is
/// empty) and "{prompt}" left out unless \p Via is Arg.
static void appendArgs(std::vector<std::string> &Argv,
                       const std::vector<std::string> &Args,
                       const std::string &Model, ir::PromptVia Via) {
  for (const std::string &A : Args) {
    if (A == "{model}" && Model.empty()) {
      // No model: drop the flag that precedes it too.
      if (Argv.size() > 1 && llvm::StringRef(Argv.back()).startswith("-"))
        Argv.pop_back();
      continue;
    }
    if (A == "{prompt}" && Via != ir::PromptVia::Arg)
      continue;
    std::string Arg;
    llvm::StringRef Rest(A);
    for (size_t Pos; A != "{prompt}" &&
                     (Pos = Rest.find("{model}")) != llvm::StringRef::npos;) {
      Arg += Rest.take_front(Pos).str() + Model;
      Rest = Rest.drop_front(Pos + 7);
    }
    Arg += Rest.str();
    Argv.push_back(std::move(Arg));
  }
}

ir::ModelBinding ProviderRegistry::bind(const Provider &P,
                                        llvm::StringRef Model) const {
  ir::ModelBinding B;
  B.Provider = P.Name;
  B.Model = Model.empty() ? P.DefaultModel : Model.str();
  if (std::optional<std::string> Full = shorthand(P.Name, B.Model))
    B.Model = *Full;
  B.Id = B.Model.empty() ? B.Provider : B.Provider + "/" + B.Model;
  B.Via = P.Via;
  B.Argv.push_back(P.Executable);
  appendArgs(B.Argv, P.Args, B.Model, B.Via);
  if (P.Interactive) {
    // The argv after the executable, as the interactive binding uses it.
    B.Interactive = *P.Interactive;
    std::vector<std::string> Argv = {P.Executable};
    appendArgs(Argv, P.Interactive->Args, B.Model, ir::PromptVia::Type);
    B.Interactive->Args.assign(Argv.begin() + 1, Argv.end());
    if (!P.Interactive->ResumeArgs.empty()) {
      Argv.resize(1);
      appendArgs(Argv, P.Interactive->ResumeArgs, B.Model, ir::PromptVia::Type);
      B.Interactive->ResumeArgs.assign(Argv.begin() + 1, Argv.end());
    }
  }
  B.ReadyPattern = P.ReadyPattern;
  B.IdlePattern = P.IdlePattern;
  B.AnswerJsonField = P.AnswerJsonField;
  B.AnswerJsonWhere = P.AnswerJsonWhere;
  B.Usage = P.Usage;
  B.SetEnv = P.SetEnv;
  B.Failures = P.Failures;
  B.EnvKeys = P.EnvKeys;
  B.SessionArgs = P.SessionArgs;
  B.ResumeArgs = P.ResumeArgs;
  B.SandboxState = P.SandboxState;
  B.SandboxEnv = P.SandboxEnv;
  B.Endpoints = P.Endpoints;
  B.DefaultOutputTokens = P.DefaultOutputTokens;
  const RegistryModel *RM = P.findModel(B.Model);
  if (!RM)
    RM = P.findModel(P.DefaultModel);
  if (RM) {
    B.Cost = RM->Cost;
    B.ModelTier = RM->ModelTier;
  }
  B.Priced = RM != nullptr;
  return B;
}

