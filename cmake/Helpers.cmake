# crawlstream_library(<module> SOURCES ... DEPS ...)
# Declares crawlstream_<module> with the alias crawlstream::<module>:
# sources private, dependencies public, headers included as
# "services/<dir>/<file>.h" from the repository root.
function(crawlstream_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(crawlstream_${name} STATIC ${ARG_SOURCES})
  add_library(crawlstream::${name} ALIAS crawlstream_${name})
  target_include_directories(crawlstream_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(crawlstream_${name}
    PUBLIC ${ARG_DEPS} PRIVATE crawlstream_warnings)
endfunction()

# crawlstream_test(<name> SOURCES ... DEPS ...): a GoogleTest binary whose
# tests ctest discovers one by one.
function(crawlstream_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock
    GTest::gtest_main crawlstream_warnings)
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${labels}"
      ENVIRONMENT "CRAWLSTREAM_SOURCE_DIR=${PROJECT_SOURCE_DIR};CRAWLSTREAM_BINARY_DIR=${PROJECT_BINARY_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()
