# Sourced by package.sh and bench/peers/setup.sh: the CMake cache entries that
# link libsearch's dependencies from static archives instead of shared
# libraries (ICU is passed separately: Debian's archives suit an executable,
# a shared module needs position-independent ones).
#
#   static_dep_args LIBDIR XAPIAN_A ROARING_CONFIG   sets STATIC_DEP_ARGS
#
# LIBDIR holds Debian's libz.a, libzstd.a, libxxhash.a and libuuid.a;
# XAPIAN_A and ROARING_CONFIG come from package.sh's source builds (Debian
# ships neither libxapian.a nor libroaring.a).
static_dep_args() {
  local libdir=$1 xapian_a=$2 roaring_config=$3
  STATIC_DEP_ARGS=(
    -DZLIB_LIBRARY="$libdir/libz.a"
    -Dpkgcfg_lib_ZSTD_zstd="$libdir/libzstd.a" -Dpkgcfg_lib_XXHASH_xxhash="$libdir/libxxhash.a"
    -DXAPIAN_SHARED=OFF -DXAPIAN_STATIC_LIBRARY="$xapian_a" -Droaring_DIR="$roaring_config"
    "-DXAPIAN_STATIC_DEP_LIBS=$libdir/libuuid.a;$libdir/libz.a"
  )
}
