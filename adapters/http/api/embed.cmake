# cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DNAME=<function> [-DHINT=<text>]
#       [-DFROM=<text> -DTO=<text>] -P embed.cmake
# Writes the file's bytes (with FROM replaced by TO, which must occur) as a char array behind
# std::string_view leads::adapters::http::NAME() (no raw-string delimiter or literal-length
# limits to worry about).
if(NOT EXISTS "${INPUT}")
  message(FATAL_ERROR "${INPUT} is missing. ${HINT}")
endif()
set(source "${INPUT}")
if(DEFINED FROM AND NOT FROM STREQUAL "")
  file(READ "${INPUT}" text)
  string(FIND "${text}" "${FROM}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${INPUT} no longer contains ${FROM}: check the substitution in adapters/http/api/CMakeLists.txt")
  endif()
  string(REPLACE "${FROM}" "${TO}" text "${text}")
  set(source "${OUTPUT}.input")
  file(WRITE "${source}" "${text}")
endif()
file(READ "${source}" hex HEX)
string(LENGTH "${hex}" hex_length)
if(hex_length EQUAL 0)
  message(FATAL_ERROR "${INPUT} is empty")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by embed.cmake: do not edit.
#include \"adapters/http/api/api_handler.hpp\"

namespace leads::adapters::http {
namespace {
constexpr char kBytes[] = {
    ${bytes}
};
}  // namespace

std::string_view ${NAME}() { return {kBytes, sizeof(kBytes)}; }

}  // namespace leads::adapters::http
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
