//===- Schema.cpp - validating with valijson, explaining with the schema --===//
#include "frontend/Schema.h"
#include "frontend/CompiledSchema.h"
#include "frontend/Suggest.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Regex.h"

#include <valijson/adapters/rapidjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <set>

using namespace connectorc;
using rapidjson::Value;

namespace {
/// The schema as published, parsed once (to explain errors and find unknown
/// keys), and compiled for the one-pass check.
struct LoadedSchema {
  rapidjson::Document Json;
  std::optional<CompiledSchema> Quick;

  LoadedSchema() {
    llvm::StringRef Text = connectorSchemaText();
    Json.Parse(Text.data(), Text.size());
    if (Json.HasParseError())
      llvm::report_fatal_error("embedded connector.schema.json is not JSON");
    Quick.emplace(Json);
  }
};

const LoadedSchema &getSchema() {
  static const LoadedSchema S;
  return S;
}

/// The schema compiled for valijson, made only when a file fails the quick
/// check (compiling it was 20 M instructions, on every run).
///
/// This copy leaves out the `"patternProperties": {"^x-": {}}` +
/// `"additionalProperties": false` pairs that close every object: valijson
/// 1.0 constructs a std::regex for every object it validates against
/// patternProperties, which cost more than half of all validation time on the
/// 12 MB benchmark spec (test/bench). ShapeWalker enforces the same rule with
/// the same schema, and gives better messages ("did you mean").
struct ValijsonSchema {
  rapidjson::Document ForValijson;
  valijson::Schema Compiled;

  ValijsonSchema() {
    ForValijson.CopyFrom(getSchema().Json, ForValijson.GetAllocator());
    openClosedObjects(ForValijson);
    valijson::SchemaParser Parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::RapidJsonAdapter Adapter(ForValijson);
    try {
      Parser.populateSchema(Adapter, Compiled);
    } catch (const std::exception &E) {
      llvm::report_fatal_error(
          llvm::Twine("embedded connector.schema.json is invalid: ") + E.what());
    }
  }

  /// Removes each `additionalProperties: false` that comes with the
  /// `^x-` pattern, everywhere in \p V.
  static void openClosedObjects(rapidjson::Value &V) {
    if (V.IsArray()) {
      for (rapidjson::Value &E : V.GetArray())
        openClosedObjects(E);
      return;
    }
    if (!V.IsObject())
      return;
    auto Pattern = V.FindMember("patternProperties");
    auto Extra = V.FindMember("additionalProperties");
    if (Pattern != V.MemberEnd() && Extra != V.MemberEnd() &&
        Extra->value.IsFalse() && Pattern->value.IsObject() &&
        Pattern->value.MemberCount() == 1 &&
        Pattern->value.HasMember("^x-")) {
      V.RemoveMember("patternProperties");
      V.RemoveMember("additionalProperties");
    }
    // Patterns that POSIX ERE reads the same way are checked with
    // llvm::Regex by the walker: valijson runs std::regex, which took a
    // quarter of validation time on the benchmark spec's durations.
    auto Pattern2 = V.FindMember("pattern");
    if (Pattern2 != V.MemberEnd() && Pattern2->value.IsString() &&
        llvm::Regex(Pattern2->value.GetString()).isValid())
      V.RemoveMember("pattern");
    for (auto &M : V.GetObject())
      openClosedObjects(M.value);
  }
};

const ValijsonSchema &getValijsonSchema() {
  static const ValijsonSchema S;
  return S;
}

const Value *member(const Value &Obj, llvm::StringRef Key) {
  return findMember(Obj, Key);
}

/// Follows a `#/definitions/NAME` reference.
const Value &deref(const Value &Node) {
  const Value *Ref = member(Node, "$ref");
  if (!Ref || !Ref->IsString())
    return Node;
  llvm::StringRef Name(Ref->GetString());
  Name.consume_front("#/definitions/");
  const Value *Def = member(*member(getSchema().Json, "definitions"), Name);
  assert(Def && "dangling $ref in the embedded schema");
  return *Def;
}

/// Whether schema node \p N lets `x-` keys hold anything (`"patternProperties":
/// {"^x-": {}}`); objects whose other keys follow a schema ("models") do not.
bool freesExtensionKeys(const Value &N) {
  const Value *Patterns = member(N, "patternProperties");
  return Patterns && member(*Patterns, "^x-");
}

/// Where one step of a document path leads in the schema: the property node
/// (which has the hover description) or null for free-form content.
const Value *stepSchema(const Value &Node, const Value &DocValue,
                        llvm::StringRef Key) {
  const Value &N = deref(Node);
  if (DocValue.IsArray()) {
    const Value *Items = member(N, "items");
    return Items && Items->IsObject() ? Items : nullptr;
  }
  if (const Value *Props = member(N, "properties"))
    if (const Value *P = member(*Props, Key))
      return P;
  if (Key.startswith("x-") && freesExtensionKeys(N))
    return nullptr;
  const Value *Extra = member(N, "additionalProperties");
  return Extra && Extra->IsObject() ? Extra : nullptr;
}

/// One step of a path: an object key or an array index.
struct PathStep {
  std::string Key;
  unsigned Index = 0;
};

/// A document value with the schema node that describes it.
struct Located {
  const Value *Doc = nullptr;
  const Value *Schema = nullptr;
  const Value *Parent = nullptr;
  std::string Name; ///< How messages call it: "'workers'", "item 2 of 'phases'".
};

/// Resolves valijson's context ("<root>", "[pipeline]", "[0]", ...) to the
/// document value and its schema node.
Located resolve(const Value &Root, const std::vector<std::string> &Ctx) {
  Located L{&Root, &getSchema().Json, nullptr, "the workflow"};
  std::string LastKey;
  for (const std::string &Seg : Ctx) {
    if (Seg == "<root>" || Seg.size() < 2)
      continue;
    llvm::StringRef Key = llvm::StringRef(Seg).drop_front().drop_back();
    const Value *Next = nullptr;
    if (L.Doc->IsArray()) {
      unsigned I;
      if (Key.getAsInteger(10, I) || I >= L.Doc->Size())
        break;
      Next = &(*L.Doc)[I];
      L.Name = fmt::format("item {} of '{}'", I + 1, LastKey);
    } else {
      Next = member(*L.Doc, Key);
      if (!Next)
        break;
      LastKey = Key.str();
      L.Name = fmt::format("'{}'", Key);
    }
    L.Schema = L.Schema ? stepSchema(*L.Schema, *L.Doc, Key) : nullptr;
    L.Parent = L.Doc;
    L.Doc = Next;
  }
  return L;
}

std::string jsonTypeName(const Value &V) {
  switch (V.GetType()) {
  case rapidjson::kNullType:
    return "null";
  case rapidjson::kFalseType:
  case rapidjson::kTrueType:
    return "a boolean";
  case rapidjson::kObjectType:
    return "an object";
  case rapidjson::kArrayType:
    return "an array";
  case rapidjson::kStringType:
    return "a string";
  case rapidjson::kNumberType:
    return V.IsInt64() || V.IsUint64() ? "an integer" : "a number";
  }
  llvm_unreachable("unknown JSON type");
}

std::string schemaTypeName(llvm::StringRef T) {
  return llvm::StringSwitch<std::string>(T)
      .Case("integer", "an integer")
      .Case("array", "an array")
      .Case("object", "an object")
      .Case("boolean", "a boolean")
      .Case("null", "null")
      .Default("a " + T.str());
}

/// "an integer or an array".
std::string expectedTypes(const Value *Schema) {
  const Value *T = Schema ? member(deref(*Schema), "type") : nullptr;
  if (!T)
    return "a valid value";
  if (T->IsString())
    return schemaTypeName(T->GetString());
  std::vector<std::string> Names;
  for (const Value &E : T->GetArray())
    Names.push_back(schemaTypeName(E.GetString()));
  std::string Out;
  for (size_t I = 0; I < Names.size(); ++I)
    Out += (I == 0 ? "" : I + 1 == Names.size() ? " or " : ", ") + Names[I];
  return Out;
}

/// The title a message uses for the object a key lives in.
std::string objectTitle(const Value *Schema) {
  if (!Schema)
    return "this object";
  const Value &N = deref(*Schema);
  if (&N == &getSchema().Json)
    return "the top level";
  const Value *T = member(N, "title");
  return T && T->IsString() ? llvm::StringRef(T->GetString()).lower()
                            : "this object";
}

std::string quotedList(const Value &Arr) {
  std::string Out;
  for (const Value &E : Arr.GetArray())
    Out += (Out.empty() ? "'" : ", '") +
           std::string(E.IsString() ? E.GetString() : "?") + "'";
  return Out;
}

void reportPatternMismatch(const JsonDocument &Doc, DiagnosticEngine &Diags,
                           const Located &L) {
  const Value *S = L.Schema ? &deref(*L.Schema) : nullptr;
  const Value *Pattern = S ? member(*S, "pattern") : nullptr;
  const Value *Examples = L.Schema ? member(*L.Schema, "examples") : nullptr;
  if (!Examples && S)
    Examples = member(*S, "examples");
  std::string Why = fmt::format(
      "expected a match of '{}'",
      Pattern && Pattern->IsString() ? Pattern->GetString() : "?");
  if (Examples && Examples->IsArray() && !Examples->Empty() &&
      (*Examples)[0].IsString())
    Why += fmt::format(", such as '{}'", (*Examples)[0].GetString());
  Diags.report(DiagKind::PatternMismatch, Doc.rangeOf(*L.Doc), L.Name,
               L.Doc->IsString() ? L.Doc->GetString() : "", Why);
}

/// Explains one valijson error. Wrapper errors ("failed to validate item
/// #0") repeat a deeper one and are skipped.
class ErrorExplainer {
public:
  ErrorExplainer(const JsonDocument &Doc, const Value &Root,
                 DiagnosticEngine &Diags)
      : Doc(Doc), Root(Root), Diags(Diags) {}

  void explain(const valijson::ValidationResults::Error &E) {
    llvm::StringRef Desc = E.description;
    if (Desc.startswith("Failed to validate"))
      return;
    Located L = resolve(Root, E.context);
    if (Desc.startswith("Value type not permitted")) {
      if (!failsEnum(L)) // else the enum's message says it, listing choices
        report(DiagKind::TypeMismatch, *L.Doc, L.Name, expectedTypes(L.Schema),
               jsonTypeName(*L.Doc));
      return;
    }
    if (Desc.startswith("Missing required property"))
      return missingKey(L, Desc);
    if (Desc.startswith("Failed to match against any enum values"))
      return notInEnum(L);
    if (Desc.startswith("Failed to match regex"))
      return patternMismatch(L);
    if (Desc.contains("violate uniqueness"))
      return notUnique(L, Desc);
    if (Desc.startswith("Expected number") || Desc.startswith("Array should") ||
        Desc.startswith("String should") || Desc.startswith("Object should"))
      return outOfRange(L);
    std::string Msg = Desc.str();
    if (!Msg.empty() && Msg.back() == '.')
      Msg.pop_back();
    if (!Msg.empty())
      Msg[0] = llvm::toLower(Msg[0]);
    report(DiagKind::SchemaViolation, *L.Doc, L.Name, Msg);
  }

private:
  template <typename... Args>
  Diagnostic &report(DiagKind K, const Value &At, const Args &...A) {
    return Diags.report(K, Doc.rangeOf(At), A...);
  }

  static const Value *enumOf(const Located &L) {
    return L.Schema ? member(deref(*L.Schema), "enum") : nullptr;
  }

  /// Whether the value also fails an `enum` of its schema node (valijson
  /// then reports both the type and the enum).
  static bool failsEnum(const Located &L) {
    const Value *Enum = enumOf(L);
    return Enum && Enum->IsArray() &&
           llvm::none_of(Enum->GetArray(),
                         [&](const Value &E) { return E == *L.Doc; });
  }

  void missingKey(const Located &L, llvm::StringRef Desc) {
    llvm::StringRef Key = Desc.drop_front(Desc.find('\'') + 1);
    Key = Key.take_until([](char C) { return C == '\''; });
    llvm::SMLoc Start = Doc.rangeOf(*L.Doc).Start;
    Diags.report(DiagKind::MissingKey, llvm::SMRange(Start, Start), L.Name,
                 Key);
  }

  void notInEnum(const Located &L) {
    const Value *Enum = enumOf(L);
    if (!Enum || !Enum->IsArray()) {
      report(DiagKind::SchemaViolation, *L.Doc, L.Name,
             "is not one of the allowed values");
      return;
    }
    if (!L.Doc->IsString()) {
      report(DiagKind::NotInEnum, *L.Doc, L.Name, quotedList(*Enum),
             jsonTypeName(*L.Doc), "");
      return;
    }
    std::vector<std::string> Choices;
    for (const Value &E : Enum->GetArray())
      if (E.IsString())
        Choices.push_back(E.GetString());
    std::optional<std::string> Near = nearestName(L.Doc->GetString(), Choices);
    Diagnostic &D =
        report(DiagKind::NotInEnum, *L.Doc, L.Name, quotedList(*Enum),
               fmt::format("'{}'", L.Doc->GetString()), didYouMean(Near));
    if (Near)
      D.fixIt(Doc.contentsOf(*L.Doc), *Near);
  }

  void patternMismatch(const Located &L) {
    reportPatternMismatch(Doc, Diags, L);
  }

  void notUnique(const Located &L, llvm::StringRef Desc) {
    // "Elements at indexes #0 and #2 violate uniqueness constraint."
    size_t Hash = Desc.rfind('#');
    unsigned Second = 0;
    if (Hash == llvm::StringRef::npos || !L.Doc->IsArray() ||
        Desc.drop_front(Hash + 1).take_while(llvm::isDigit).getAsInteger(
            10, Second) ||
        Second >= L.Doc->Size())
      return;
    const Value &Dup = (*L.Doc)[Second];
    report(DiagKind::NotUnique, Dup, L.Name,
           Dup.IsString() ? Dup.GetString() : "a value");
  }

  void outOfRange(const Located &L) {
    const Value *S = L.Schema ? &deref(*L.Schema) : nullptr;
    std::string Want = "within its allowed range";
    auto Num = [&](const char *K) -> std::optional<double> {
      const Value *V = S ? member(*S, K) : nullptr;
      return V && V->IsNumber() ? std::optional(V->GetDouble()) : std::nullopt;
    };
    if (L.Doc->IsNumber()) {
      if (auto Min = Num("minimum"); Min && L.Doc->GetDouble() < *Min)
        Want = fmt::format("at least {}", *Min);
      else if (auto Max = Num("maximum"))
        Want = fmt::format("at most {}", *Max);
    } else if (L.Doc->IsArray() || L.Doc->IsString() || L.Doc->IsObject()) {
      const char *Unit = L.Doc->IsArray()    ? "item"
                         : L.Doc->IsString() ? "character"
                                             : "key";
      const char *MinKey = L.Doc->IsArray()    ? "minItems"
                           : L.Doc->IsString() ? "minLength"
                                               : "minProperties";
      if (auto Min = Num(MinKey))
        Want = *Min == 1 ? fmt::format("non-empty")
                         : fmt::format("at least {} {}s long", *Min, Unit);
    }
    report(DiagKind::OutOfRange, *L.Doc, L.Name, Want);
  }

  const JsonDocument &Doc;
  const Value &Root;
  DiagnosticEngine &Diags;
};

/// The range of the key naming member value \p V, without its quotes.
llvm::SMRange keyContents(const JsonDocument &Doc, const Value &V) {
  llvm::SMRange R = Doc.keyRangeOf(V);
  return {llvm::SMLoc::getFromPointer(R.Start.getPointer() + 1),
          llvm::SMLoc::getFromPointer(R.End.getPointer() - 1)};
}

/// What the walker needs of one schema node, looked up once.
struct NodeInfo {
  const Value *Node = nullptr;          ///< the node as referenced
  const Value *Def = nullptr;           ///< after following $ref
  llvm::StringMap<const Value *> Props; ///< "properties"
  std::vector<llvm::StringRef> Keys;    ///< "properties", in schema order
  const Value *Items = nullptr;
  const Value *Extra = nullptr;         ///< an "additionalProperties" schema
  bool Closed = false;
  bool ExtensionKeysFree = false;       ///< `x-` keys may hold anything
  std::optional<llvm::Regex> Pattern;   ///< when valijson leaves it to us
};

/// Enforces, by walking the document and the schema side by side, the parts
/// of the schema the valijson copy leaves out: closed objects (unknown keys)
/// and string patterns. Iterative: documents may be deep.
class ShapeWalker {
public:
  ShapeWalker(const JsonDocument &Doc, DiagnosticEngine &Diags)
      : Doc(Doc), Diags(Diags) {}

  void walk(const Value &Root) {
    /// A value to visit. Its name for messages is made only on error.
    struct Item {
      const Value *V;
      const Value *Schema;
      llvm::StringRef Key; ///< its key, or its array's key
      unsigned Index;      ///< 1-based position in its array; 0 for a member
      std::string name() const {
        if (Key.empty())
          return "the workflow";
        return Index ? fmt::format("item {} of '{}'", Index, Key)
                     : fmt::format("'{}'", Key);
      }
    };
    std::vector<Item> Work{{&Root, &getSchema().Json, "", 0}};
    while (!Work.empty()) {
      Item It = Work.back();
      Work.pop_back();
      const NodeInfo &N = info(It.Schema);
      if (It.V->IsString() && N.Pattern &&
          !N.Pattern->match(llvm::StringRef(It.V->GetString(),
                                            It.V->GetStringLength())))
        reportPatternMismatch(Doc, Diags, {It.V, It.Schema, nullptr, It.name()});
      if (It.V->IsArray() && N.Items) {
        unsigned I = It.V->Size();
        for (auto E = It.V->End(); E != It.V->Begin();) {
          --E;
          Work.push_back({&*E, N.Items, It.Key, I--});
        }
        continue;
      }
      if (!It.V->IsObject())
        continue;
      // Unknown keys are reported in document order; children are pushed
      // last-first so they are visited first-first.
      size_t Mark = Work.size();
      for (auto &M : It.V->GetObject()) {
        llvm::StringRef Key(M.name.GetString(), M.name.GetStringLength());
        auto P = N.Props.find(Key);
        bool Free = N.ExtensionKeysFree && Key.startswith("x-");
        const Value *Next = P != N.Props.end() ? P->second
                            : Free             ? nullptr
                                               : N.Extra;
        if (Next)
          Work.push_back({&M.value, Next, Key, 0});
        else if (N.Closed && !Free)
          unknownKey(N, It.Schema, M.value, Key);
      }
      std::reverse(Work.begin() + Mark, Work.end());
    }
  }

private:
  const NodeInfo &info(const Value *Node) {
    std::unique_ptr<NodeInfo> &Slot = Cache[Node];
    if (Slot)
      return *Slot;
    Slot = std::make_unique<NodeInfo>();
    NodeInfo &N = *Slot;
    N.Node = Node;
    N.Def = &deref(*Node);
    if (const Value *Props = member(*N.Def, "properties"))
      for (auto &P : Props->GetObject()) {
        N.Props[P.name.GetString()] = &P.value;
        N.Keys.push_back(P.name.GetString());
      }
    const Value *Items = member(*N.Def, "items");
    N.Items = Items && Items->IsObject() ? Items : nullptr;
    const Value *Extra = member(*N.Def, "additionalProperties");
    N.Extra = Extra && Extra->IsObject() ? Extra : nullptr;
    N.Closed = Extra && Extra->IsFalse();
    N.ExtensionKeysFree = freesExtensionKeys(*N.Def);
    const Value *Pattern = member(*N.Def, "pattern");
    if (Pattern && Pattern->IsString() &&
        llvm::Regex(Pattern->GetString()).isValid())
      N.Pattern.emplace(Pattern->GetString());
    return N;
  }

  void unknownKey(const NodeInfo &N, const Value *Schema, const Value &V,
                  llvm::StringRef Key) {
    std::optional<std::string> Near = nearestName(Key, N.Keys);
    Diagnostic &D = Diags.report(DiagKind::UnknownKey, Doc.keyRangeOf(V), Key,
                                 objectTitle(Schema), didYouMean(Near));
    if (Near)
      D.fixIt(keyContents(Doc, V), *Near);
  }

  const JsonDocument &Doc;
  DiagnosticEngine &Diags;
  llvm::DenseMap<const Value *, std::unique_ptr<NodeInfo>> Cache;
};
} // namespace

bool connectorc::conformsToSchemaQuickly(const Value &Root) {
  return getSchema().Quick->conforms(Root);
}

bool connectorc::validateAgainstSchemaFully(const JsonDocument &Doc,
                                            const Value &Root,
                                            DiagnosticEngine &Diags) {
  const ValijsonSchema &S = getValijsonSchema();
  valijson::Validator V(valijson::Validator::kStrongTypes);
  valijson::adapters::RapidJsonAdapter Target(Root);
  unsigned ErrorsBefore = Diags.numErrors();
  ShapeWalker(Doc, Diags).walk(Root);
  bool Conforms = Diags.numErrors() == ErrorsBefore;
  // A conforming document is validated once, without collecting the context
  // of every error.
  if (V.validate(S.Compiled, Target, nullptr))
    return Conforms;
  valijson::ValidationResults Results;
  V.validate(S.Compiled, Target, &Results);
  ErrorExplainer Explainer(Doc, Root, Diags);
  for (const auto &E : Results)
    Explainer.explain(E);
  return false;
}

bool connectorc::validateAgainstSchema(const JsonDocument &Doc,
                                       const Value &Root,
                                       DiagnosticEngine &Diags) {
  // The one-pass check decides most files alone: on the 12 MB benchmark spec
  // (test/bench) it takes 57 M instructions where valijson + ShapeWalker took
  // 1.12 G (callgrind). Only a "no" pays for the reference validators, which
  // explain every violation.
  return conformsToSchemaQuickly(Root) ||
         validateAgainstSchemaFully(Doc, Root, Diags);
}
