// File: libsearch/libsearch.h — the whole public API in one include.
#pragma once

#include "libsearch/bm25.h"           // IWYU pragma: export
#include "libsearch/fan_out.h"        // IWYU pragma: export
#include "libsearch/index.h"          // IWYU pragma: export
#include "libsearch/index_builder.h"  // IWYU pragma: export
#include "libsearch/index_writer.h"   // IWYU pragma: export
#include "libsearch/json.h"           // IWYU pragma: export
#include "libsearch/remote.h"         // IWYU pragma: export
#include "libsearch/schema.h"         // IWYU pragma: export
#include "libsearch/sharded_index.h"  // IWYU pragma: export
#include "libsearch/status.h"         // IWYU pragma: export
#include "libsearch/updates.h"        // IWYU pragma: export
#include "libsearch/version.h"        // IWYU pragma: export
