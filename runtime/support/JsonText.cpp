//===- JsonText.cpp - llvm::json values as deterministic text -------------===//
#include "runtime/support/JsonText.h"

#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

#include <algorithm>

using namespace connectorc;
namespace json = llvm::json;

namespace {
template <typename WriterT> void write(WriterT &W, const json::Value &V) {
  switch (V.kind()) {
  case json::Value::Null:
    W.Null();
    return;
  case json::Value::Boolean:
    W.Bool(*V.getAsBoolean());
    return;
  case json::Value::Number:
    if (llvm::Optional<int64_t> I = V.getAsInteger())
      W.Int64(*I);
    else
      W.Double(*V.getAsNumber());
    return;
  case json::Value::String: {
    llvm::StringRef S = *V.getAsString();
    W.String(S.data(), static_cast<rapidjson::SizeType>(S.size()));
    return;
  }
  case json::Value::Array:
    W.StartArray();
    for (const json::Value &E : *V.getAsArray())
      write(W, E);
    W.EndArray();
    return;
  case json::Value::Object: {
    const json::Object &O = *V.getAsObject();
    std::vector<llvm::StringRef> Keys;
    for (const auto &KV : O)
      Keys.push_back(KV.first);
    llvm::sort(Keys);
    W.StartObject();
    for (llvm::StringRef K : Keys) {
      W.Key(K.data(), static_cast<rapidjson::SizeType>(K.size()));
      write(W, *O.get(K));
    }
    W.EndObject();
    return;
  }
  }
}
} // namespace

std::string runtime::toJsonText(const json::Value &V, bool Pretty) {
  rapidjson::StringBuffer Buf;
  if (Pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> W(Buf);
    W.SetIndent(' ', 2);
    write(W, V);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> W(Buf);
    write(W, V);
  }
  return std::string(Buf.GetString(), Buf.GetSize());
}

bool runtime::nestsDeeperThan(llvm::StringRef Text, unsigned Max) {
  unsigned Depth = 0;
  bool InString = false, Escaped = false;
  for (char C : Text) {
    if (InString) {
      if (Escaped)
        Escaped = false;
      else if (C == '\\')
        Escaped = true;
      else if (C == '"')
        InString = false;
    } else if (C == '"') {
      InString = true;
    } else if (C == '[' || C == '{') {
      if (++Depth > Max)
        return true;
    } else if ((C == ']' || C == '}') && Depth > 0) {
      --Depth;
    }
  }
  return false;
}
