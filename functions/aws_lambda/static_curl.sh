# Sourced by package.sh: a minimal static libcurl for the packaged bootstrap
# and Python module, so that they read and publish s3:// and gs:// indexes.
#
#   static_curl OUT LIBDIR   sets STATIC_CURL_ARGS (CMake cache entries)
#
# Debian's libcurl.a cannot be linked statically: it needs static builds of
# nghttp2, libssh2, librtmp, libpsl, Kerberos and OpenLDAP, which Debian does
# not ship. So libcurl is built here from Debian's source package of the
# installed version (upstream tarball plus Debian's security patches, fetched
# with apt-get source from a private deb-src list, as package.sh does for
# ICU), with GCC 11 and position-independent code (the Python module is a
# shared object), HTTP(S) only, and zlib; no LDAP, GSS-API, IDN, SSH, PSL,
# brotli, zstd or HTTP/2. Installed once into OUT/curl-VERSION-TLS (with its
# CMake config); later runs reuse it. CA certificates: curl_util.cc finds the
# system bundle at run time (Debian's and Amazon Linux's live at different
# paths) and passes it as CURLOPT_CAINFO, so no path is compiled in.
#
# TLS (STATIC_TLS): openssl (the default) links Debian's libssl.a/libcrypto.a
# (OpenSSL 3, Apache-2.0, TLS 1.3), which get Debian's security updates.
# mbedtls links Debian's libmbedtls-dev archives (Mbed TLS 2.28, Apache-2.0,
# position-independent; TLS 1.2, which S3 and Cloud Storage accept): 0.27 MB
# of the zip where OpenSSL takes 1.7 MB, but upstream's 2.28 branch has ended
# and Debian 12 ships 2.28.3-1 with no security update, so it is opt-in for
# those who weigh the zip's size above that (docs/design-notes.md, "The
# provided.al2023 zip's size").
static_curl() {
  local out=$1 libdir=$2 version tag prefix src tls=${STATIC_TLS:-openssl} tls_args
  version=$(dpkg-query -W -f='${Version}' libcurl4-openssl-dev)
  case "$tls" in
    mbedtls)
      tls_args=(-DCURL_USE_OPENSSL=OFF -DCURL_USE_MBEDTLS=ON -DMBEDTLS_INCLUDE_DIRS=/usr/include
                -DMBEDTLS_LIBRARY="$libdir/libmbedtls.a" -DMBEDX509_LIBRARY="$libdir/libmbedx509.a"
                -DMBEDCRYPTO_LIBRARY="$libdir/libmbedcrypto.a")
      tag=mbedtls-$(dpkg-query -W -f='${Version}' libmbedtls-dev) ;;
    openssl)
      tls_args=(-DCURL_USE_OPENSSL=ON -DOPENSSL_USE_STATIC_LIBS=ON -DCURL_DISABLE_OPENSSL_AUTO_LOAD_CONFIG=ON)
      tag=openssl ;;
    *) echo "package: STATIC_TLS must be mbedtls or openssl, not $tls" >&2; return 1 ;;
  esac
  prefix=$out/curl-$version-$tag
  if [ ! -f "$prefix/done" ]; then
    echo "package: building a minimal static libcurl $version ($tag) with ${CC11:-gcc-11} (first run only, about a minute)"
    src=$out/curl-src
    rm -rf "$src" && mkdir -p "$src/apt/lists/partial" "$src/apt/cache/archives/partial"
    # bookworm-security too: point releases of curl often come from there first.
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    printf 'deb-src [signed-by=%s] http://deb.debian.org/debian %s main\n' \
        "$keyring" bookworm "$keyring" bookworm-updates > "$src/apt/sources.list"
    printf 'deb-src [signed-by=%s] http://deb.debian.org/debian-security bookworm-security main\n' \
        "$keyring" >> "$src/apt/sources.list"
    local apt=(-o "Dir::Etc::SourceList=$src/apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
               -o "Dir::State::Lists=$src/apt/lists" -o "Dir::Cache=$src/apt/cache" -o Debug::NoLocking=1)
    # dpkg-source applies Debian's patches; apt-get has checked the .dsc's signature chain.
    (cd "$src" && apt-get "${apt[@]}" update -qq &&
     apt-get "${apt[@]}" source --download-only -qq "curl=$version" 2> "$src/apt.log" &&
     dpkg-source --no-check -x curl_*.dsc tree > /dev/null)
    rm -rf "$src/build"
    cmake -S "$src/tree" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_COMPILER="${CC11:-gcc-11}" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
        -DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
        -DHTTP_ONLY=ON "${tls_args[@]}" -DZLIB_LIBRARY="$libdir/libz.a" \
        -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none \
        -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON -DCURL_USE_GSSAPI=OFF -DUSE_LIBIDN2=OFF \
        -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF -DCURL_USE_LIBPSL=OFF -DUSE_NGHTTP2=OFF \
        -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DENABLE_ARES=OFF > "$src/cmake.log"
    cmake --build "$src/build" -j "${JOBS:-2}" > "$src/make.log" \
        || { tail -40 "$src/make.log"; return 1; }
    cmake --install "$src/build" > "$src/install.log"
    touch "$prefix/done"
  fi
  # CURL_DIR: CMake's FindCURL prefers this config, whose CURL::libcurl brings
  # the TLS library and zlib (Mbed TLS's .a files by path; for OpenSSL,
  # OPENSSL_USE_STATIC_LIBS makes them the .a files).
  STATIC_CURL_ARGS=(
    -DLIBSEARCH_WITH_S3=ON -DCURL_DIR="$prefix/lib/cmake/CURL" -DOPENSSL_USE_STATIC_LIBS=ON
  )
}
