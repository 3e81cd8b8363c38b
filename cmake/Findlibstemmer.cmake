# Findlibstemmer: Snowball's C stemming library (BSD-3-Clause), which ships
# neither a CMake config nor a pkg-config file (Debian: libstemmer-dev).
#
#   find_package(libstemmer)  ->  libstemmer::libstemmer, libstemmer_FOUND
#
# LIBSTEMMER_LIBRARY may be set to a static archive (libstemmer.a) for fully
# static builds, as functions/aws_lambda/static_deps.sh does.
find_path(LIBSTEMMER_INCLUDE_DIR libstemmer.h)
find_library(LIBSTEMMER_LIBRARY NAMES stemmer)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(libstemmer
  REQUIRED_VARS LIBSTEMMER_LIBRARY LIBSTEMMER_INCLUDE_DIR)
if(libstemmer_FOUND AND NOT TARGET libstemmer::libstemmer)
  add_library(libstemmer::libstemmer UNKNOWN IMPORTED)
  set_target_properties(libstemmer::libstemmer PROPERTIES
    IMPORTED_LOCATION "${LIBSTEMMER_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LIBSTEMMER_INCLUDE_DIR}")
endif()
mark_as_advanced(LIBSTEMMER_INCLUDE_DIR LIBSTEMMER_LIBRARY)
