# Turns a file into a C++ source defining `llvm::StringRef SYMBOL()` that
# returns its bytes, so the binary carries data (schemas, the provider
# registry) without depending on the source tree at run time.
#   cmake -DINPUT=in.json -DOUTPUT=out.cpp -DSYMBOL=name -P EmbedFile.cmake
file(READ "${INPUT}" HEX HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," BYTES "${HEX}")
get_filename_component(NAME "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${NAME} by EmbedFile.cmake. Do not edit.\n"
  "#include \"llvm/ADT/StringRef.h\"\n"
  "namespace connectorc {\n"
  "static const unsigned char Bytes[] = {${BYTES} 0};\n"
  "llvm::StringRef ${SYMBOL}() {\n"
  "  return llvm::StringRef(reinterpret_cast<const char *>(Bytes),\n"
  "                         sizeof(Bytes) - 1);\n"
  "}\n"
  "} // namespace connectorc\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
