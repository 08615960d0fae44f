//===- bare_parse.cpp - the lint benchmark's baseline: parse, nothing else ===//
#include <rapidjson/document.h>
#include <rapidjson/filereadstream.h>

#include <cstdio>
#include <vector>

int main(int Argc, char **Argv) {
  if (Argc != 2)
    return 2;
  FILE *F = std::fopen(Argv[1], "rb");
  if (!F)
    return 2;
  std::vector<char> Buf(1 << 16);
  rapidjson::FileReadStream Stream(F, Buf.data(), Buf.size());
  rapidjson::Document Doc;
  Doc.ParseStream<rapidjson::kParseIterativeFlag>(Stream);
  std::fclose(F);
  return Doc.HasParseError() ? 1 : 0;
}
