//===- StructuredAnswer.cpp - what a CLI's JSON output says ---------------===//
#include "runtime/executor/StructuredAnswer.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/reader.h>
#include <rapidjson/stream.h>

using namespace connectorc;
using namespace connectorc::runtime;
using rapidjson::Value;

namespace {
/// A document's JSON Pointer, its tokens unescaped; "*" matches anything.
struct Pointer {
  llvm::SmallVector<std::string, 4> Tokens;
  explicit Pointer(llvm::StringRef P) {
    if (!P.startswith("/")) { // a plain member name
      Tokens.push_back(P.str());
      return;
    }
    llvm::SmallVector<llvm::StringRef, 4> Parts;
    P.drop_front().split(Parts, '/');
    for (llvm::StringRef T : Parts) {
      std::string S;
      for (size_t I = 0; I < T.size(); ++I) {
        if (T[I] == '~' && I + 1 < T.size() && (T[I + 1] == '0' || T[I + 1] == '1')) {
          S += T[I + 1] == '0' ? '~' : '/';
          ++I;
        } else {
          S += T[I];
        }
      }
      Tokens.push_back(std::move(S));
    }
  }
};

/// Calls \p Each for every value at \p P under \p V (one, or several
/// through '*' tokens).
void resolve(const Value &V, const Pointer &P, size_t At,
             llvm::function_ref<void(const Value &)> Each) {
  if (At == P.Tokens.size()) {
    Each(V);
    return;
  }
  const std::string &T = P.Tokens[At];
  if (V.IsObject()) {
    if (T == "*") {
      for (auto &M : V.GetObject())
        resolve(M.value, P, At + 1, Each);
      return;
    }
    auto It = V.FindMember(rapidjson::StringRef(T.data(), T.size()));
    if (It != V.MemberEnd())
      resolve(It->value, P, At + 1, Each);
  } else if (V.IsArray()) {
    if (T == "*") {
      for (const Value &E : V.GetArray())
        resolve(E, P, At + 1, Each);
      return;
    }
    if (T.empty() || T.find_first_not_of("0123456789") != std::string::npos)
      return;
    size_t I = std::stoull(T.size() > 9 ? "999999999" : T);
    if (I < V.Size())
      resolve(V[static_cast<rapidjson::SizeType>(I)], P, At + 1, Each);
  }
}

std::optional<std::string> stringAt(const Value &V, const Pointer &P) {
  std::optional<std::string> Out;
  resolve(V, P, 0, [&](const Value &S) {
    if (!Out && S.IsString())
      Out.emplace(S.GetString(), S.GetStringLength());
  });
  return Out;
}

std::optional<double> numberAt(const Value &V, const Pointer &P) {
  std::optional<double> Sum;
  resolve(V, P, 0, [&](const Value &N) {
    if (N.IsNumber())
      Sum = Sum.value_or(0) + N.GetDouble();
  });
  return Sum;
}

} // namespace

/// The JSON documents of \p Output, in order (see extractJsonAnswer).
class runtime::detail::Documents {
public:
  explicit Documents(llvm::StringRef Output) {
    // RapidJSON needs the text NUL-terminated (the answer file is not).
    Text = Output.str();
    size_t Pos = 0;
    while (Pos < Text.size()) {
      size_t Start = Text.find_first_not_of(" \t\r", Pos);
      if (Start == std::string::npos)
        break;
      size_t End = knownOpen(Start) ? 0 : parseAt(Start);
      if (End == 0) {
        size_t NL = Text.find('\n', Start);
        Pos = NL == std::string::npos ? Text.size() : NL + 1;
      } else {
        Pos = End;
      }
    }
  }
  /// Latest first.
  template <typename Fn> void eachLatestFirst(Fn F) const {
    for (auto It = Docs.rbegin(); It != Docs.rend(); ++It)
      if (F(**It))
        return;
  }

private:
  /// Parses the value at \p Start; its end, or 0 if there is none.
  size_t parseAt(size_t Start) {
    char C = Text[Start];
    if (C != '{' && C != '[')
      return 0;
    rapidjson::StringStream In(Text.c_str() + Start);
    auto D = std::make_unique<rapidjson::Document>();
    D->ParseStream<Flags>(In);
    if (D->HasParseError()) {
      noteOpen(Start);
      return 0;
    }
    size_t End = Start + In.Tell();
    if (D->IsArray()) {
      for (Value &E : D->GetArray())
        if (E.IsObject())
          Elements.push_back(&E);
      Docs.insert(Docs.end(), Elements.begin(), Elements.end());
      Elements.clear();
    } else {
      Docs.push_back(D.get());
    }
    Owned.push_back(std::move(D));
    return End;
  }

  static constexpr unsigned Flags =
      rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseIterativeFlag;

  /// After the value at \p Start failed to parse: the objects and arrays
  /// still open where it failed. Each is a value of its own that fails at
  /// that same place, so a line starting with one is not parsed again: lines
  /// of unclosed brackets ("[\n[\n[\n...") made that quadratic (minutes for
  /// 40 KB). A value in there that closes is still parsed, and found.
  void noteOpen(size_t Start) {
    struct Tracker : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Tracker> {
      const rapidjson::StringStream *In;
      size_t Base;
      std::vector<size_t> Open;
      // Called before the bracket is taken: Tell() is where it is.
      bool StartObject() { return push(); }
      bool StartArray() { return push(); }
      bool EndObject(rapidjson::SizeType) { return pop(); }
      bool EndArray(rapidjson::SizeType) { return pop(); }
      bool push() {
        Open.push_back(Base + In->Tell());
        return true;
      }
      bool pop() {
        Open.pop_back();
        return true;
      }
    };
    rapidjson::StringStream In(Text.c_str() + Start);
    Tracker T;
    T.In = &In;
    T.Base = Start;
    rapidjson::Reader().Parse<Flags>(In, T);
    Open = std::move(T.Open);
    NextOpen = 0;
  }

  /// Whether the value at \p Start is one noteOpen found open (\p Start
  /// only grows from call to call).
  bool knownOpen(size_t Start) {
    while (NextOpen < Open.size() && Open[NextOpen] < Start)
      ++NextOpen;
    return NextOpen < Open.size() && Open[NextOpen] == Start;
  }

  std::string Text;
  std::vector<size_t> Open; ///< ascending
  size_t NextOpen = 0;
  std::vector<std::unique_ptr<rapidjson::Document>> Owned;
  std::vector<const Value *> Docs, Elements;
};

StructuredOutput::StructuredOutput(llvm::StringRef Output)
    : Docs(std::make_unique<detail::Documents>(Output)) {}
StructuredOutput::StructuredOutput(StructuredOutput &&) = default;
StructuredOutput &StructuredOutput::operator=(StructuredOutput &&) = default;
StructuredOutput::~StructuredOutput() = default;

llvm::Expected<std::string>
StructuredOutput::answer(llvm::StringRef Field,
                         const ir::EnvList &Where) const {
  Pointer P(Field);
  std::vector<std::pair<Pointer, std::string>> Conditions;
  for (const auto &[Ptr, Want] : Where)
    Conditions.emplace_back(Pointer(Ptr), Want);
  std::optional<std::string> Answer;
  Docs->eachLatestFirst([&](const Value &D) {
    for (const auto &[Ptr, Want] : Conditions)
      if (stringAt(D, Ptr) != Want)
        return false;
    Answer = stringAt(D, P);
    return Answer.has_value();
  });
  if (Answer)
    return std::move(*Answer);
  std::string Which = Field.startswith("/") ? "a string at '" + Field.str() + "'"
                                            : "a string '" + Field.str() + "'";
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "the output has no JSON object with " + Which +
          (Where.empty() ? "" : " (among those answer_json_where selects)"));
}

AttemptUsage StructuredOutput::usage(const ir::UsageFields &F) const {
  AttemptUsage U;
  auto Number = [&](const std::string &Ptr, std::optional<double> &Out) {
    if (Ptr.empty())
      return;
    Pointer P(Ptr);
    Docs->eachLatestFirst([&](const Value &D) {
      Out = numberAt(D, P);
      return Out.has_value();
    });
  };
  Number(F.InputTokens, U.InputTokens);
  Number(F.OutputTokens, U.OutputTokens);
  Number(F.CostUsd, U.CostUsd);
  if (!F.SessionId.empty()) {
    Pointer P(F.SessionId);
    Docs->eachLatestFirst([&](const Value &D) {
      U.SessionId = stringAt(D, P);
      return U.SessionId.has_value();
    });
  }
  return U;
}

llvm::Expected<std::string>
runtime::extractJsonAnswer(llvm::StringRef Output, llvm::StringRef Field,
                           const ir::EnvList &Where) {
  return StructuredOutput(Output).answer(Field, Where);
}

AttemptUsage runtime::extractUsage(llvm::StringRef Output,
                                   const ir::UsageFields &F) {
  if (F.empty())
    return {};
  return StructuredOutput(Output).usage(F);
}

struct TranscriptTurns::Rules {
  std::vector<std::pair<Pointer, std::string>> Start, End, Where;
  Pointer Message{"/"};
  std::optional<Pointer> Time;
  static std::vector<std::pair<Pointer, std::string>>
  of(const ir::EnvList &L) {
    std::vector<std::pair<Pointer, std::string>> Out;
    for (const auto &[Ptr, Want] : L)
      Out.emplace_back(Pointer(Ptr), Want);
    return Out;
  }
  static bool holds(const Value &D,
                    const std::vector<std::pair<Pointer, std::string>> &C) {
    if (C.empty())
      return false;
    for (const auto &[Ptr, Want] : C)
      if (stringAt(D, Ptr) != Want)
        return false;
    return true;
  }
};

TranscriptTurns::TranscriptTurns(const ir::InteractiveMode &M)
    : R(std::make_unique<Rules>()) {
  R->Start = Rules::of(M.TurnStart);
  R->End = Rules::of(M.TurnEnd);
  R->Where = Rules::of(M.AnswerWhere);
  R->Message = Pointer(M.AnswerPointer);
  if (!M.RecordTime.empty()) {
    R->Time.emplace(M.RecordTime);
    Timed = true;
  }
}

TranscriptTurns::~TranscriptTurns() = default;

void TranscriptTurns::feed(llvm::StringRef Line) {
  rapidjson::Document D;
  std::string Text = Line.str(); // NUL-terminated for RapidJSON
  D.Parse<rapidjson::kParseStopWhenDoneFlag>(Text.c_str());
  if (D.HasParseError() || !D.IsObject())
    return; // not a record: skipped, as a CLI's reader would
  // A record without a time is as late as the latest seen.
  std::string Time = LastTime;
  if (R->Time)
    if (std::optional<std::string> T = stringAt(D, *R->Time))
      Time = *T;
  LastTime = std::max(LastTime, Time);
  if (Rules::holds(D, R->Start)) {
    ++Starts;
    EndAfterStart = false;
    StartTime = std::max(StartTime, Time);
  }
  if (Rules::holds(D, R->End)) {
    EndAfterStart = true;
    EndTime = std::max(EndTime, Time);
  }
  if (!Rules::holds(D, R->Where) || Time < AnswerTime)
    return;
  std::string Said;
  resolve(D, R->Message, 0, [&](const Value &M) {
    if (M.IsString()) {
      Said.append(M.GetString(), M.GetStringLength());
      return;
    }
    if (!M.IsArray())
      return;
    for (const Value &B : M.GetArray()) {
      if (!B.IsObject())
        continue;
      auto Type = B.FindMember("type"), T = B.FindMember("text");
      if (Type != B.MemberEnd() && Type->value.IsString() &&
          llvm::StringRef(Type->value.GetString()) == "text" &&
          T != B.MemberEnd() && T->value.IsString()) {
        if (!Said.empty())
          Said += "\n\n";
        Said.append(T->value.GetString(), T->value.GetStringLength());
      }
    }
  });
  if (!llvm::StringRef(Said).trim().empty()) {
    Answer = std::move(Said);
    AnswerTime = Time;
  }
}

void TranscriptTurns::update(const std::string &Path) {
  int FD = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC);
  if (FD < 0)
    return;
  char Buf[64 * 1024];
  for (;;) {
    ssize_t N = ::pread(FD, Buf, sizeof Buf, Offset);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      break;
    Offset += N;
    Partial.append(Buf, static_cast<size_t>(N));
    size_t Nl;
    while ((Nl = Partial.find('\n')) != std::string::npos) {
      feed(llvm::StringRef(Partial).take_front(Nl));
      Partial.erase(0, Nl + 1);
    }
    // A record longer than any real one is dropped, not kept growing.
    if (Partial.size() > (64u << 20))
      Partial.clear();
  }
  ::close(FD);
}
