# Debian's libsoci-dev ships no CMake package: find the core and the
# backends this project uses and expose them as imported targets.
#   SOCI::core, SOCI::sqlite3, SOCI::postgresql
include(FindPackageHandleStandardArgs)

find_path(SOCI_INCLUDE_DIR NAMES soci/soci.h)
find_library(SOCI_CORE_LIBRARY NAMES soci_core)
find_library(SOCI_sqlite3_LIBRARY NAMES soci_sqlite3)
find_library(SOCI_postgresql_LIBRARY NAMES soci_postgresql)

foreach(component IN LISTS SOCI_FIND_COMPONENTS)
  if(SOCI_${component}_LIBRARY)
    set(SOCI_${component}_FOUND TRUE)
  endif()
endforeach()

find_package_handle_standard_args(SOCI REQUIRED_VARS SOCI_CORE_LIBRARY SOCI_INCLUDE_DIR HANDLE_COMPONENTS)

if(SOCI_FOUND AND NOT TARGET SOCI::core)
  add_library(SOCI::core UNKNOWN IMPORTED)
  set_target_properties(SOCI::core PROPERTIES IMPORTED_LOCATION "${SOCI_CORE_LIBRARY}"
                                              INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}")
  foreach(backend sqlite3 postgresql)
    if(SOCI_${backend}_LIBRARY)
      add_library(SOCI::${backend} UNKNOWN IMPORTED)
      set_target_properties(SOCI::${backend} PROPERTIES IMPORTED_LOCATION "${SOCI_${backend}_LIBRARY}"
                                                        INTERFACE_LINK_LIBRARIES SOCI::core)
    endif()
  endforeach()
endif()
mark_as_advanced(SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY SOCI_sqlite3_LIBRARY SOCI_postgresql_LIBRARY)
