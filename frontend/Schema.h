//===- Schema.h - the connector.json JSON Schema and its validation -*- C++ -*-===//
//
// frontend/schema/connector.schema.json is the single source of truth for the
// shape of a connector.json file. It is embedded in the binary, printed by
// `connectorc schema`, and enforced by a quick one-pass check
// (CompiledSchema.h) backed by valijson: when the quick check says no,
// valijson finds every violation and each becomes a diagnostic at the
// offending value, phrased with the schema's own knowledge (the expected
// types, the allowed keys, the enum values).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_FRONTEND_SCHEMA_H
#define CONNECTORC_FRONTEND_SCHEMA_H

#include "frontend/JsonDocument.h"

#include "llvm/ADT/StringRef.h"

namespace connectorc {

/// The text of connector.schema.json, as embedded at build time.
llvm::StringRef connectorSchemaText();

/// Validates the workflow \p Root of \p Doc (the document's root, or an
/// inline team inside it) against the schema, reporting every violation to
/// \p Diags. Returns true when it conforms. A quick one-pass check
/// (CompiledSchema.h) goes first; only a file it rejects is validated fully.
bool validateAgainstSchema(const JsonDocument &Doc,
                           const rapidjson::Value &Root,
                           DiagnosticEngine &Diags);

/// The quick check alone: true when \p Root certainly conforms.
bool conformsToSchemaQuickly(const rapidjson::Value &Root);

/// The reference validation alone (valijson, plus the walk for closed
/// objects and patterns), which explains every violation.
bool validateAgainstSchemaFully(const JsonDocument &Doc,
                                const rapidjson::Value &Root,
                                DiagnosticEngine &Diags);

} // namespace connectorc

#endif
