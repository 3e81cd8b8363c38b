# Warning and sanitizer flags as INTERFACE targets, linked PRIVATE by each
# project target; nothing edits CMAKE_CXX_FLAGS.
add_library(libsearch_warnings INTERFACE)
target_compile_options(libsearch_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  $<$<BOOL:${LIBSEARCH_WERROR}>:-Werror>
  # GCC 12 at -O3 reports false -Wrestrict overlaps inside libstdc++ for
  # `"literal" + std::string` (GCC bug 105329); the code is correct.
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)

add_library(libsearch_sanitize INTERFACE)
if(LIBSEARCH_SANITIZE)
  target_compile_options(libsearch_sanitize INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(libsearch_sanitize INTERFACE -fsanitize=address,undefined)
endif()

# libFuzzer's coverage instrumentation, for the library's objects only: the
# fuzzers (tests/fuzz) link the fuzzer runtime themselves, and everything else
# linking the library gets the sanitizer runtime's no-op coverage hooks.
add_library(libsearch_fuzz_coverage INTERFACE)
if(LIBSEARCH_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LIBSEARCH_FUZZ needs Clang (libFuzzer); configure with CXX=clang++-14")
  endif()
  target_compile_options(libsearch_fuzz_coverage INTERFACE -fsanitize=fuzzer-no-link)
endif()
