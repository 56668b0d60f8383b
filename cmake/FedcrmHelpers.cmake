# Shared build helpers: warnings, libraries, tests and sanitizer twins.

# Warnings every fedcrm target gets. FEDCRM_WERROR turns them into errors (CI).
function(fedcrm_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(FEDCRM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# fedcrm_library(NAME SOURCES a.cc b.cc DEPS lib1 lib2)
# A static library whose include root is the repository root, so headers are
# included as "core/data/csv_reader.h".
function(fedcrm_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  fedcrm_warnings(${name})
  set_property(GLOBAL APPEND PROPERTY FEDCRM_LIBRARIES ${name})
endfunction()

# fedcrm_test(NAME SOURCES a_test.cc DEPS lib1 [LABELS l1 l2])
# One GoogleTest executable; every TEST in it becomes a CTest test.
function(fedcrm_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  fedcrm_warnings(${name})
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "unit;${ARG_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

set(FEDCRM_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer -O1 -g)

# fedcrm_sanitized_library(NEW_NAME FROM_LIBRARY)
# A twin of a library compiled with AddressSanitizer and UndefinedBehaviorSanitizer,
# so that input-handling tests run instrumented inside the ordinary `make test`
# without a second build tree.
function(fedcrm_sanitized_library new_name from)
  get_target_property(sources ${from} SOURCES)
  get_target_property(source_dir ${from} SOURCE_DIR)
  list(TRANSFORM sources PREPEND "${source_dir}/" REGEX "^[^/]")
  get_target_property(deps ${from} LINK_LIBRARIES)
  add_library(${new_name} STATIC ${sources})
  target_include_directories(${new_name} PUBLIC ${PROJECT_SOURCE_DIR})
  if(deps)
    target_link_libraries(${new_name} PUBLIC ${deps})
  endif()
  target_compile_options(${new_name} PUBLIC ${FEDCRM_SANITIZER_FLAGS})
  target_link_options(${new_name} PUBLIC -fsanitize=address,undefined)
  fedcrm_warnings(${new_name})
endfunction()

# fedcrm_sanitized_test(NAME SOURCES a_test.cc DEPS sanitized_lib)
function(fedcrm_sanitized_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${FEDCRM_SANITIZER_FLAGS})
  target_link_options(${name} PRIVATE -fsanitize=address,undefined)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  fedcrm_warnings(${name})
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    TEST_PREFIX "sanitized."
    PROPERTIES LABELS "unit;sanitize" ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1"
    DISCOVERY_TIMEOUT 60)
endfunction()
