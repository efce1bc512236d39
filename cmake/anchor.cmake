# SPDX-License-Identifier: Apache-2.0
# Build helpers: anchor_library(), anchor_test(), compiler warnings, ccache and sanitizers.

find_program(ANCHOR_CCACHE ccache)
if(ANCHOR_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER ${ANCHOR_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${ANCHOR_CCACHE})
endif()

add_compile_options(-Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
# OpenSSL 3 only: deprecated 1.1 APIs must not creep in.
add_compile_definitions(OPENSSL_API_COMPAT=30000 OPENSSL_NO_DEPRECATED)

if(ANCHOR_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(ANCHOR_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
if(ANCHOR_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# anchor_library(NAME n SRCS ... DEPS ...): one layer = one static library, alias anchor::n.
function(anchor_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(anchor_${A_NAME} STATIC ${A_SRCS})
  add_library(anchor::${A_NAME} ALIAS anchor_${A_NAME})
  target_include_directories(anchor_${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(anchor_${A_NAME} PUBLIC ${A_DEPS})
endfunction()

# anchor_test(NAME n SRCS ... DEPS ... [LABEL l]): a GoogleTest binary registered with ctest,
# label "unit", or "unit.l" with LABEL l ("tsan": also run by `make test-tsan`). One label string:
# gtest_discover_tests splits a list of labels, and `ctest -L` takes a regular expression, so
# -L unit and -L tsan both select "unit.tsan".
# With POSTGRES, each test needs the throwaway PostgreSQL cluster of the `postgres` fixture
# (tests/CMakeLists.txt) and finds it in $ANCHOR_TEST_POSTGRES_DSN.
function(anchor_test)
  cmake_parse_arguments(A "POSTGRES" "NAME;LABEL" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  # Fixtures made by checked-in scripts (tests/data/*/generate.*), never by anchor.
  target_compile_definitions(${A_NAME} PRIVATE ANCHOR_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data")
  include(GoogleTest)
  set(label unit)
  if(A_LABEL)
    set(label unit.${A_LABEL})
  endif()
  set(postgres)
  if(A_POSTGRES)
    set(postgres FIXTURES_REQUIRED postgres
                 ENVIRONMENT ANCHOR_TEST_POSTGRES_DSN=${ANCHOR_TEST_POSTGRES_DSN})
  endif()
  gtest_discover_tests(${A_NAME} PROPERTIES LABELS ${label} ${postgres} DISCOVERY_TIMEOUT 30)
endfunction()
