find_package(Catch2 2 REQUIRED)

if(NOT TARGET leads_catch_main)
  add_library(leads_catch_main STATIC "${LEADS_SOURCE_ROOT}/tests/support/catch_main.cpp")
  target_link_libraries(leads_catch_main PUBLIC Catch2::Catch2)
  target_include_directories(leads_catch_main PUBLIC "${LEADS_SOURCE_ROOT}")

  # What every test may use (tests/support): random names and tenants, temporary directories.
  add_library(leads_test_support STATIC "${LEADS_SOURCE_ROOT}/tests/support/random.cpp")
  target_link_libraries(leads_test_support PUBLIC leads::domain)
  target_include_directories(leads_test_support PUBLIC "${LEADS_SOURCE_ROOT}")
  leads_warnings(leads_test_support)
endif()

# leads_test(NAME n LABEL l SOURCES ... LIBS ...): one Catch2 executable, one ctest entry.
function(leads_test)
  cmake_parse_arguments(ARG "" "NAME;LABEL" "SOURCES;LIBS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE leads_catch_main leads_test_support ${ARG_LIBS})
  leads_warnings(${ARG_NAME})
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABEL}" SKIP_RETURN_CODE 77)
endfunction()
