# Warnings every target of the project compiles with.
function(leads_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                                           -Wnull-dereference -Wimplicit-fallthrough)
  if(LEADS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# A library of this project: its own target, warnings on, includes from the root.
function(leads_library target alias)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(${alias} ALIAS ${target})
  target_include_directories(${target} PUBLIC "${LEADS_SOURCE_ROOT}")
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  leads_warnings(${target})
endfunction()
