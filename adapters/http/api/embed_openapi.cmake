# cmake -DINPUT=docs/openapi.json -DOUTPUT=openapi_document.cpp -P embed_openapi.cmake
# Writes the file as a char array (no raw-string delimiter or literal-length limits to worry about).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
if(hex_length EQUAL 0)
  message(FATAL_ERROR "${INPUT} is empty")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from docs/openapi.json by embed_openapi.cmake: do not edit.
#include \"adapters/http/api/api_handler.hpp\"

namespace leads::adapters::http {
namespace {
constexpr char kOpenApiDocument[] = {
    ${bytes}
};
}  // namespace

std::string_view openapi_document() { return {kOpenApiDocument, sizeof(kOpenApiDocument)}; }

}  // namespace leads::adapters::http
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
