// File: libsearch/export.h
//
// LIBSEARCH_EXPORT marks the public API. The library is compiled with
// -fvisibility=hidden, so a shared build (-DBUILD_SHARED_LIBS=ON) exports
// what carries this mark and nothing else; internals stay private to the .so.
// In a static build the mark changes nothing for the program linking it.
#pragma once

#if defined(_WIN32)
#define LIBSEARCH_EXPORT
#elif defined(__GNUC__) || defined(__clang__)
#define LIBSEARCH_EXPORT [[gnu::visibility("default")]]
#else
#define LIBSEARCH_EXPORT
#endif
