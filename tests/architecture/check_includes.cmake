# Enforces the direction of dependencies between layers by reading #include lines, since
# every Debian header sits in /usr/include and the compiler cannot stop a wrong include.
#   cmake -DSOURCE_ROOT=<repo> -P check_includes.cmake
#   domain/       standard headers and domain/ only
#   ports/        standard headers, domain/ and ports/ only
#   application/  nothing from adapters/ nor any third-party library the adapters use
cmake_minimum_required(VERSION 3.25)

if(NOT SOURCE_ROOT)
  message(FATAL_ERROR "usage: cmake -DSOURCE_ROOT=<repository root> -P check_includes.cmake")
endif()

set(standard_headers
  algorithm any array atomic barrier bit bitset charconv chrono codecvt compare complex concepts
  condition_variable coroutine deque exception execution expected filesystem format forward_list
  fstream functional future initializer_list iomanip ios iosfwd iostream istream iterator latch
  limits list locale map memory memory_resource mutex new numbers numeric optional ostream queue
  random ranges ratio regex scoped_allocator semaphore set shared_mutex source_location span
  sstream stack stdexcept stop_token streambuf string string_view syncstream system_error thread
  tuple type_traits typeindex typeinfo unordered_map unordered_set utility valarray variant vector
  version
  cassert cctype cerrno cfenv cfloat cinttypes climits clocale cmath csetjmp csignal cstdarg
  cstddef cstdint cstdio cstdlib cstring ctime cuchar cwchar cwctype)

# Third-party names application/ must never include (as a path prefix or a header name).
set(application_forbidden_regex
    "^(adapters/|boost/|soci/|soci\\.h|rapidjson/|spdlog/|fmt/|jwt\\.h|libjwt/|sqlite3\\.h|libpq-fe\\.h|libpq/|postgresql/|pqxx/)")

set(violations "")

# Calls back with each include of each C++ file under <layer>/ as "<" or "\"" plus the name.
function(collect_includes layer out_var)
  file(GLOB_RECURSE files LIST_DIRECTORIES false
       "${SOURCE_ROOT}/${layer}/*.hpp" "${SOURCE_ROOT}/${layer}/*.cpp"
       "${SOURCE_ROOT}/${layer}/*.h" "${SOURCE_ROOT}/${layer}/*.cc" "${SOURCE_ROOT}/${layer}/*.ipp")
  set(result "")
  foreach(file IN LISTS files)
    file(RELATIVE_PATH relative "${SOURCE_ROOT}" "${file}")
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS lines)
      if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*([<\"])([^>\"]*)[>\"]")
        list(APPEND result "${relative}|${CMAKE_MATCH_1}|${CMAKE_MATCH_2}")
      else()
        # A macro include cannot be checked: refuse it rather than let it through.
        list(APPEND result "${relative}|?|${line}")
      endif()
    endforeach()
  endforeach()
  set(${out_var} "${result}" PARENT_SCOPE)
endfunction()

macro(split entry)
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 file)
  list(GET parts 1 kind)
  list(GET parts 2 header)
endmacro()

collect_includes(domain domain_includes)
foreach(entry IN LISTS domain_includes)
  split("${entry}")
  if(kind STREQUAL "<" AND header IN_LIST standard_headers)
  elseif(kind STREQUAL "\"" AND header MATCHES "^domain/")
  else()
    list(APPEND violations "${file} includes ${header}: domain/ may include only standard headers and domain/")
  endif()
endforeach()

collect_includes(ports ports_includes)
foreach(entry IN LISTS ports_includes)
  split("${entry}")
  if(kind STREQUAL "<" AND header IN_LIST standard_headers)
  elseif(kind STREQUAL "\"" AND header MATCHES "^(domain|ports)/")
  else()
    list(APPEND violations "${file} includes ${header}: ports/ may include only standard headers, domain/ and ports/")
  endif()
endforeach()

collect_includes(application application_includes)
foreach(entry IN LISTS application_includes)
  split("${entry}")
  if(kind STREQUAL "?" OR header MATCHES "${application_forbidden_regex}")
    list(APPEND violations "${file} includes ${header}: application/ must not depend on adapters or their libraries")
  endif()
endforeach()

if(violations)
  foreach(violation IN LISTS violations)
    message(STATUS "include violation: ${violation}")
  endforeach()
  message(FATAL_ERROR "layering check failed")
endif()
list(LENGTH domain_includes n_domain)
list(LENGTH ports_includes n_ports)
list(LENGTH application_includes n_application)
message(STATUS "layering check passed (${n_domain} domain, ${n_ports} ports, ${n_application} application includes)")
