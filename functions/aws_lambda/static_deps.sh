# Sourced by package.sh and bench/peers/setup.sh: the CMake cache entries that
# link libsearch's dependencies from static archives instead of shared
# libraries (ICU is passed separately: Debian's archives suit an executable,
# a shared module needs position-independent ones).
#
#   static_dep_args LIBDIR ROARING_CONFIG   sets STATIC_DEP_ARGS
#
# LIBDIR holds Debian's libz.a, libzstd.a, libxxhash.a and libstemmer.a
# (libstemmer-dev's archive is position-independent and needs only
# GLIBC_2.2.5/2.4 symbols, so it suits the bootstrap and the Python module
# alike); ROARING_CONFIG comes from package.sh's source build (Debian ships
# no libroaring.a).
static_dep_args() {
  local libdir=$1 roaring_config=$2
  STATIC_DEP_ARGS=(
    -DZLIB_LIBRARY="$libdir/libz.a"
    -Dpkgcfg_lib_ZSTD_zstd="$libdir/libzstd.a" -Dpkgcfg_lib_XXHASH_xxhash="$libdir/libxxhash.a"
    -DLIBSTEMMER_LIBRARY="$libdir/libstemmer.a" -Droaring_DIR="$roaring_config"
  )
}
