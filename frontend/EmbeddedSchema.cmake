# Turns the JSON Schema into a C++ source holding its bytes, so the binary
# carries the schema without depending on the source tree at run time.
file(READ "${INPUT}" HEX HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," BYTES "${HEX}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from connector.schema.json by EmbeddedSchema.cmake. Do not edit.\n"
  "#include \"llvm/ADT/StringRef.h\"\n"
  "namespace connectorc {\n"
  "static const unsigned char SchemaBytes[] = {${BYTES} 0};\n"
  "llvm::StringRef connectorSchemaText() {\n"
  "  return llvm::StringRef(reinterpret_cast<const char *>(SchemaBytes),\n                         sizeof(SchemaBytes) - 1);\n"
  "}\n"
  "} // namespace connectorc\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
