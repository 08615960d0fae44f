//===- PlanJsonTest.cpp - plans: JSON round trip and schema ---------------===//
//
// Every example compiles to a plan that (1) its JSON Schema accepts, (2) reads
// back, and (3) writes again to the same bytes; and broken plan files are
// clean errors.
//
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "frontend/Lower.h"
#include "ir/PlanJson.h"
#include "passes/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <valijson/adapters/rapidjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

using namespace connectorc;

namespace {

std::string compileToJson(llvm::StringRef Path, bool Simulate) {
  llvm::SourceMgr SM;
  DiagnosticEngine Diags(SM);
  Frontend FE(Diags);
  auto W = FE.load(Path);
  EXPECT_TRUE(W && !Diags.hasErrors()) << Path.str();
  if (!W || Diags.hasErrors())
    return "";
  auto Registry = ProviderRegistry::load("", Diags);
  EXPECT_TRUE(Registry.has_value());
  PassOptions Opts;
  Opts.Simulate = Simulate;
  Compilation C(lowerWorkflow(*W, Diags), *Registry, Diags, Opts);
  EXPECT_TRUE(runPipeline(C)) << Path.str();
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  ir::writePlanJson(OS, C.Plan);
  return Out;
}

std::vector<std::string> examples() {
  std::vector<std::string> Out;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator
           It(CONNECTORC_SOURCE_DIR "/examples", EC), End;
       It != End && !EC; It.increment(EC))
    if (llvm::StringRef(It->path()).endswith(".connector.json"))
      Out.push_back(It->path());
  std::sort(Out.begin(), Out.end());
  return Out;
}

TEST(PlanJson, ExamplesRoundTripAndMatchTheSchema) {
  rapidjson::Document SchemaDoc;
  SchemaDoc.Parse(planSchemaText().data(), planSchemaText().size());
  ASSERT_FALSE(SchemaDoc.HasParseError());
  valijson::Schema Schema;
  valijson::SchemaParser Parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::RapidJsonAdapter SchemaAdapter(SchemaDoc);
  Parser.populateSchema(SchemaAdapter, Schema);
  std::vector<std::string> Files = examples();
  ASSERT_GE(Files.size(), 10u);
  for (const std::string &F : Files)
    for (bool Simulate : {false, true}) {
      std::string First = compileToJson(F, Simulate);
      ASSERT_FALSE(First.empty()) << F;
      rapidjson::Document Doc;
      Doc.Parse(First.data(), First.size());
      ASSERT_FALSE(Doc.HasParseError()) << F;
      valijson::Validator V(valijson::Validator::kStrongTypes);
      valijson::adapters::RapidJsonAdapter Adapter(Doc);
      valijson::ValidationResults Results;
      bool Valid = V.validate(Schema, Adapter, &Results);
      std::string Why;
      valijson::ValidationResults::Error E;
      while (Results.popError(E)) {
        for (const std::string &C : E.context)
          Why += C;
        Why += ": " + E.description + "\n";
      }
      EXPECT_TRUE(Valid) << F << "\n" << Why;
      llvm::Expected<ir::Plan> Back = ir::readPlanJson(First, F);
      ASSERT_TRUE(static_cast<bool>(Back)) << llvm::toString(Back.takeError());
      std::string Second;
      llvm::raw_string_ostream OS(Second);
      ir::writePlanJson(OS, *Back);
      EXPECT_EQ(First, Second) << F;
    }
}

TEST(PlanJson, SecretsAreNotWritten) {
  ir::Plan P;
  P.Workflow = "w";
  ir::ModelBinding B;
  B.Id = "custom/x";
  B.Provider = "custom";
  B.Argv = {"x"};
  B.Env = {{"OPENAI_API_KEY", "sk-live-123"}, {"MODE", "fast"}};
  P.Bindings.push_back(B);
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  ir::writePlanJson(OS, P);
  EXPECT_EQ(Out.find("sk-live-123"), std::string::npos);
  EXPECT_NE(Out.find("\"${OPENAI_API_KEY}\""), std::string::npos);
  EXPECT_NE(Out.find("\"fast\""), std::string::npos);
}

std::string readError(llvm::StringRef Text) {
  llvm::Expected<ir::Plan> P = ir::readPlanJson(Text, "p.json");
  if (P)
    return "";
  return llvm::toString(P.takeError());
}

TEST(PlanJson, BrokenPlansAreCleanErrors) {
  EXPECT_EQ(readError("[]"), "p.json: the top: a plan is a JSON object");
  EXPECT_EQ(readError(R"({"plan": "9"})"),
            "p.json: plan: format version '9' is not supported (this "
            "connectorc reads version 1)");
  EXPECT_NE(readError("{\"plan\": "), "");
  const char *BadStage = R"({"plan": "1", "workflow": "w", "bindings": [
    {"id": "a", "provider": "sim", "model": "m", "argv": ["x"]}],
    "stages": [], "tasks": [{"id": "t", "stage": 3, "worker": 1, "name": "1",
    "output": "o", "prompt": "p", "candidates": [0], "machines": ["local"]}]})";
  EXPECT_EQ(readError(BadStage),
            "p.json: not a valid plan: task 't' is in stage 3 of 0");
  const char *Cycle = R"({"plan": "1", "workflow": "w", "bindings": [
    {"id": "a", "provider": "sim", "model": "m", "argv": ["x"]}],
    "stages": [{"name": "s", "kind": "workers", "tasks": [0, 1]}],
    "tasks": [
     {"id": "s/1", "stage": 0, "worker": 1, "name": "1", "output": "o",
      "prompt": "p", "candidates": [0], "machines": ["local"], "deps": [1]},
     {"id": "s/2", "stage": 0, "worker": 2, "name": "2", "output": "o",
      "prompt": "p", "candidates": [0], "machines": ["local"], "deps": [0]}]})";
  EXPECT_NE(readError(Cycle).find("dependency cycle"), std::string::npos);
  const char *WrongType = R"({"plan": "1", "workflow": 3})";
  EXPECT_EQ(readError(WrongType), "p.json: the top.workflow: expected a string");
}

} // namespace
