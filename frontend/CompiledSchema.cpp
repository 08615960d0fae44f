//===- CompiledSchema.cpp - the schema as a node table, checked in one pass
//===//
#include "frontend/CompiledSchema.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace connectorc;
using rapidjson::Value;

namespace {
/// The JSON types a node admits, one bit each.
enum TypeBits : uint8_t {
  NullBit = 1,
  BooleanBit = 2,
  ObjectBit = 4,
  ArrayBit = 8,
  StringBit = 16,
  IntegerBit = 32,
  FractionBit = 64, ///< a number that is not an integer
  AnyType = 127,
};

/// Nodes 0 and 1 are the schemas `true` and `false`.
constexpr uint32_t AnyNode = 0, NoNode = 1;
constexpr uint32_t NoPattern = UINT32_MAX, NoProperty = UINT32_MAX;
constexpr unsigned MaxProperties = 64; ///< one bit each in Node::Required

/// The type bit of \p V. Integers are what valijson's RapidJSON adapter calls
/// integers: any value RapidJSON holds as an integer (never a double).
uint8_t typeBit(const Value &V) {
  switch (V.GetType()) {
  case rapidjson::kNullType:
    return NullBit;
  case rapidjson::kFalseType:
  case rapidjson::kTrueType:
    return BooleanBit;
  case rapidjson::kObjectType:
    return ObjectBit;
  case rapidjson::kArrayType:
    return ArrayBit;
  case rapidjson::kStringType:
    return StringBit;
  case rapidjson::kNumberType:
    return V.IsDouble() ? FractionBit : IntegerBit;
  }
  return 0;
}

uint8_t typeBitsOf(llvm::StringRef Name) {
  return llvm::StringSwitch<uint8_t>(Name)
      .Case("null", NullBit)
      .Case("boolean", BooleanBit)
      .Case("object", ObjectBit)
      .Case("array", ArrayBit)
      .Case("string", StringBit)
      .Case("integer", IntegerBit)
      .Case("number", IntegerBit | FractionBit)
      .Default(0);
}

/// The number valijson compares with minimum/maximum: an integer goes
/// through int64_t first (so a uint64 above INT64_MAX wraps, as it does there).
double numberAsValijsonSees(const Value &V) {
  if (V.IsDouble())
    return V.GetDouble();
  if (V.IsInt64())
    return static_cast<double>(V.GetInt64());
  return static_cast<double>(static_cast<int64_t>(V.GetUint64()));
}

/// Whether \p S has at least \p Min characters as valijson counts them: UTF-8
/// sequences up to the first NUL (it measures a C string).
bool hasMinLength(llvm::StringRef S, uint32_t Min) {
  uint32_t Count = 0;
  for (char C : S) {
    if (Count >= Min || C == '\0')
      break;
    Count += (static_cast<unsigned char>(C) & 0xC0) != 0x80;
  }
  return Count >= Min;
}

/// Keys that only annotate a schema; they never make a value invalid.
bool isAnnotation(llvm::StringRef Key) {
  static constexpr llvm::StringLiteral Keys[] = {
      "$schema",     "$id",      "$comment", "title",
      "description", "examples", "default",  "definitions"};
  return llvm::is_contained(Keys, Key);
}

/// `{"^x-": {}}`: extension keys may hold anything.
bool isExtensionKeysOnly(const Value &V) {
  if (!V.IsObject() || V.MemberCount() != 1)
    return false;
  const auto &M = *V.MemberBegin();
  const Value &S = M.value;
  return llvm::StringRef(M.name.GetString()) == "^x-" &&
         (S.IsTrue() || (S.IsObject() && S.ObjectEmpty()));
}
} // namespace

/// One schema, compiled. Defaults admit everything.
struct CompiledSchema::Node {
  uint8_t Types = AnyType;
  bool ExtensionKeysFree = false; ///< patternProperties {"^x-": {}}
  bool UniqueItems = false;
  bool HasEnum = false;     ///< the value must be one of EnumValues
  uint32_t Extra = AnyNode; ///< additionalProperties
  uint32_t Items = AnyNode;
  uint32_t PropBegin = 0, PropEnd = 0;
  uint64_t Required = 0; ///< bit I: Props[PropBegin + I] must be present
  uint32_t MinItems = 0, MinLength = 0;
  uint32_t Pattern = NoPattern;
  uint32_t EnumBegin = 0, EnumEnd = 0;
  double Minimum = -HUGE_VAL, Maximum = HUGE_VAL;
};

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

std::optional<CompiledSchema::Pattern>
CompiledSchema::Pattern::compile(llvm::StringRef Source) {
  auto Re = std::make_unique<llvm::Regex>(Source);
  if (!Re->isValid())
    return std::nullopt;
  Pattern P;
  if (!P.parseCharacterClass(Source))
    P.Re = std::move(Re);
  return P;
}

/// Recognizes "^[...]+$" and "^[...]*$" where the class holds only literal
/// characters and ranges, read the way llvm::Regex (POSIX) reads them.
bool CompiledSchema::Pattern::parseCharacterClass(llvm::StringRef Source) {
  if (!Source.consume_front("^["))
    return false;
  AllowEmpty = Source.consume_back("]*$");
  if (!AllowEmpty && !Source.consume_back("]+$"))
    return false;
  if (Source.empty() || Source.front() == '^' ||
      Source.find_first_of("[]\\") != llvm::StringRef::npos)
    return false;
  for (size_t I = 0; I < Source.size();) {
    auto First = static_cast<unsigned char>(Source[I]);
    if (I + 2 < Source.size() && Source[I + 1] == '-') {
      auto Last = static_cast<unsigned char>(Source[I + 2]);
      for (unsigned C = First; C <= Last; ++C)
        InClass[C] = true;
      I += 3;
      continue;
    }
    InClass[First] = true;
    ++I;
  }
  return true;
}

bool CompiledSchema::Pattern::matches(llvm::StringRef S) const {
  if (Re)
    return Re->match(S);
  if (S.empty())
    return AllowEmpty;
  return llvm::all_of(
      S, [&](char C) { return InClass[static_cast<unsigned char>(C)]; });
}

//===----------------------------------------------------------------------===//
// Compiling
//===----------------------------------------------------------------------===//

/// Turns schema objects into nodes, following $ref into "definitions".
/// Anything it does not know sets Failed.
class CompiledSchema::Compiler {
public:
  Compiler(CompiledSchema &S, const Value &Root) : S(S), Root(Root) {}

  uint32_t compile(const Value &V) {
    if (V.IsBool())
      return V.GetBool() ? AnyNode : NoNode;
    if (!V.IsObject())
      return fail();
    auto Ref = V.FindMember("$ref");
    if (Ref != V.MemberEnd())
      return compileRef(V, Ref->value);
    if (auto It = Done.find(&V); It != Done.end())
      return It->second;
    auto Index = static_cast<uint32_t>(S.Nodes.size());
    S.Nodes.emplace_back();
    Done[&V] = Index; // before the children: definitions may recurse
    Node N;
    std::vector<Property> Props;
    const Value *Required = nullptr;
    for (const auto &M : V.GetObject())
      if (!keyword(N, M.name.GetString(), M.value, Props, Required))
        return fail();
    if (!addProperties(N, Props, Required))
      return fail();
    S.Nodes[Index] = N;
    return Index;
  }

  bool Failed = false;

private:
  uint32_t fail() {
    Failed = true;
    return NoNode;
  }

  /// A `$ref` to "#" or "#/definitions/NAME"; draft-07 ignores its siblings,
  /// which here may only be annotations.
  uint32_t compileRef(const Value &V, const Value &Ref) {
    for (const auto &M : V.GetObject())
      if (llvm::StringRef(M.name.GetString()) != "$ref" &&
          !isAnnotation(M.name.GetString()))
        return fail();
    if (!Ref.IsString())
      return fail();
    llvm::StringRef Target = Ref.GetString();
    if (Target == "#")
      return compile(Root);
    if (!Target.consume_front("#/definitions/") ||
        Target.find_first_of("/~%") != llvm::StringRef::npos)
      return fail();
    auto Defs = Root.FindMember("definitions");
    if (Defs == Root.MemberEnd() || !Defs->value.IsObject())
      return fail();
    auto Def = Defs->value.FindMember(
        Value(rapidjson::StringRef(Target.data(), Target.size())));
    if (Def == Defs->value.MemberEnd())
      return fail();
    return compile(Def->value);
  }

  bool keyword(Node &N, llvm::StringRef Key, const Value &V,
               std::vector<Property> &Props, const Value *&Required) {
    if (Key == "type")
      return compileType(N, V);
    if (Key == "properties") {
      if (!V.IsObject())
        return false;
      for (const auto &M : V.GetObject())
        Props.push_back({M.name.GetString(), compile(M.value)});
      return true;
    }
    if (Key == "required") {
      Required = &V;
      return V.IsArray();
    }
    if (Key == "additionalProperties")
      return (N.Extra = compile(V)), true;
    if (Key == "patternProperties")
      return N.ExtensionKeysFree = isExtensionKeysOnly(V);
    if (Key == "items")
      return !V.IsArray() && ((N.Items = compile(V)), true);
    if (Key == "enum")
      return compileEnum(N, V);
    if (Key == "pattern")
      return compilePattern(N, V);
    return limit(N, Key, V) || isAnnotation(Key);
  }

  bool compileType(Node &N, const Value &V) {
    if (V.IsString())
      return (N.Types = typeBitsOf(V.GetString())) != 0;
    if (!V.IsArray() || V.Empty())
      return false;
    N.Types = 0;
    for (const Value &T : V.GetArray()) {
      uint8_t Bits = T.IsString() ? typeBitsOf(T.GetString()) : 0;
      if (!Bits)
        return false;
      N.Types |= Bits;
    }
    return true;
  }

  /// Enums of strings only: the schema has no other kind.
  bool compileEnum(Node &N, const Value &V) {
    if (!V.IsArray())
      return false;
    N.HasEnum = true;
    N.EnumBegin = static_cast<uint32_t>(S.EnumValues.size());
    for (const Value &E : V.GetArray()) {
      if (!E.IsString())
        return false;
      S.EnumValues.emplace_back(E.GetString(), E.GetStringLength());
    }
    N.EnumEnd = static_cast<uint32_t>(S.EnumValues.size());
    return true;
  }

  bool compilePattern(Node &N, const Value &V) {
    if (!V.IsString())
      return false;
    std::optional<Pattern> P = Pattern::compile(V.GetString());
    if (!P)
      return false;
    N.Pattern = static_cast<uint32_t>(S.Patterns.size());
    S.Patterns.push_back(std::move(*P));
    return true;
  }

  /// minimum, maximum, minLength, minItems, uniqueItems.
  static bool limit(Node &N, llvm::StringRef Key, const Value &V) {
    if (Key == "minimum" || Key == "maximum") {
      if (!V.IsNumber())
        return false;
      (Key == "minimum" ? N.Minimum : N.Maximum) = V.GetDouble();
      return true;
    }
    if (Key == "minLength" || Key == "minItems") {
      if (!V.IsUint())
        return false;
      (Key == "minLength" ? N.MinLength : N.MinItems) = V.GetUint();
      return true;
    }
    if (Key == "uniqueItems")
      return V.IsBool() && ((N.UniqueItems = V.GetBool()), true);
    return false;
  }

  /// Appends \p Props as \p N's properties and marks the required ones, which
  /// must all be among them.
  bool addProperties(Node &N, const std::vector<Property> &Props,
                     const Value *Required) {
    if (Props.size() > MaxProperties)
      return false;
    N.PropBegin = static_cast<uint32_t>(S.Props.size());
    llvm::append_range(S.Props, Props);
    N.PropEnd = static_cast<uint32_t>(S.Props.size());
    if (!Required)
      return true;
    for (const Value &R : Required->GetArray()) {
      if (!R.IsString())
        return false;
      auto It = llvm::find_if(
          Props, [&](const Property &P) { return P.Name == R.GetString(); });
      if (It == Props.end())
        return false;
      N.Required |= uint64_t(1) << (It - Props.begin());
    }
    return true;
  }

  CompiledSchema &S;
  const Value &Root;
  llvm::DenseMap<const Value *, uint32_t> Done;
};

CompiledSchema::CompiledSchema(const Value &Schema) {
  Nodes.resize(2);
  Nodes[NoNode].Types = 0;
  Compiler C(*this, Schema);
  Root = C.compile(Schema);
  Complete = !C.Failed;
}

CompiledSchema::~CompiledSchema() = default;

//===----------------------------------------------------------------------===//
// Checking
//===----------------------------------------------------------------------===//

/// One conformance check: a work list of (value, node) pairs, and the
/// answers of the regex patterns so far (durations such as "30m" repeat).
class CompiledSchema::Walk {
public:
  explicit Walk(const CompiledSchema &S) : S(S), Answers(S.Patterns.size()) {}

  bool run(const Value &Root) {
    Work.push_back({&Root, S.Root});
    while (!Work.empty()) {
      auto [V, Index] = Work.pop_back_val();
      if (!check(*V, S.Nodes[Index]))
        return false;
    }
    return true;
  }

private:
  bool check(const Value &V, const Node &N) {
    if (!(N.Types & typeBit(V)))
      return false;
    if (N.HasEnum && !isInEnum(V, N))
      return false;
    switch (V.GetType()) {
    case rapidjson::kObjectType:
      return checkObject(V, N);
    case rapidjson::kArrayType:
      return checkArray(V, N);
    case rapidjson::kStringType:
      return checkString(V, N);
    case rapidjson::kNumberType: {
      double D = numberAsValijsonSees(V);
      return !(D < N.Minimum) && !(D > N.Maximum);
    }
    case rapidjson::kNullType:
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return true;
    }
    return false;
  }

  void push(const Value &V, uint32_t Index) {
    if (Index != AnyNode)
      Work.push_back({&V, Index});
  }

  bool checkObject(const Value &V, const Node &N) {
    uint64_t Found = 0;
    for (const auto &M : V.GetObject()) {
      llvm::StringRef Key(M.name.GetString(), M.name.GetStringLength());
      uint32_t P = findProperty(N, Key);
      if (P != NoProperty) {
        Found |= uint64_t(1) << (P - N.PropBegin);
        push(M.value, S.Props[P].Node);
      } else if (!N.ExtensionKeysFree || !Key.startswith("x-")) {
        if (N.Extra == NoNode)
          return false;
        push(M.value, N.Extra);
      }
    }
    return (Found & N.Required) == N.Required;
  }

  /// Lengths and first bytes are compared before memcmp, as in findMember().
  uint32_t findProperty(const Node &N, llvm::StringRef Key) const {
    for (uint32_t I = N.PropBegin; I != N.PropEnd; ++I) {
      llvm::StringRef Name = S.Props[I].Name;
      if (Name.size() == Key.size() &&
          (Key.empty() || (Name[0] == Key[0] && Name == Key)))
        return I;
    }
    return NoProperty;
  }

  bool checkArray(const Value &V, const Node &N) {
    if (V.Size() < N.MinItems)
      return false;
    if (N.UniqueItems && !hasDistinctStrings(V))
      return false;
    if (N.Items != AnyNode)
      for (const Value &E : V.GetArray())
        Work.push_back({&E, N.Items});
    return true;
  }

  /// Whether every item is a string and no two are equal. Items of other
  /// types are left to valijson (its equality of numbers has corner cases).
  static bool hasDistinctStrings(const Value &V) {
    llvm::SmallVector<llvm::StringRef, 16> Items;
    for (const Value &E : V.GetArray()) {
      if (!E.IsString())
        return false;
      Items.emplace_back(E.GetString(), E.GetStringLength());
    }
    llvm::sort(Items);
    return std::adjacent_find(Items.begin(), Items.end()) == Items.end();
  }

  bool checkString(const Value &V, const Node &N) {
    llvm::StringRef Str(V.GetString(), V.GetStringLength());
    if (N.MinLength && !hasMinLength(Str, N.MinLength))
      return false;
    return N.Pattern == NoPattern || matches(N.Pattern, Str);
  }

  bool isInEnum(const Value &V, const Node &N) const {
    if (!V.IsString())
      return false;
    llvm::StringRef Str(V.GetString(), V.GetStringLength());
    for (uint32_t I = N.EnumBegin; I != N.EnumEnd; ++I)
      if (S.EnumValues[I] == Str)
        return true;
    return false;
  }

  /// A pattern's answer; regex answers are remembered per distinct string
  /// (the strings stay in the document for the whole walk).
  bool matches(uint32_t Index, llvm::StringRef Str) {
    const Pattern &P = S.Patterns[Index];
    if (P.isCharacterClass())
      return P.matches(Str);
    llvm::DenseMap<llvm::StringRef, bool> &Known = Answers[Index];
    if (auto It = Known.find(Str); It != Known.end())
      return It->second;
    bool Match = P.matches(Str);
    if (Known.size() < MaxRemembered)
      Known[Str] = Match;
    return Match;
  }

  static constexpr size_t MaxRemembered = 4096;
  const CompiledSchema &S;
  llvm::SmallVector<std::pair<const Value *, uint32_t>, 64> Work;
  std::vector<llvm::DenseMap<llvm::StringRef, bool>> Answers;
};

bool CompiledSchema::conforms(const Value &V) const {
  return Complete && Walk(*this).run(V);
}
