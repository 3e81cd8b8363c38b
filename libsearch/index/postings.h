// Both sides of postings; code that reads them includes postings_cursor.h,
// code that writes them postings_writer.h.
#pragma once

#include "index/postings_cursor.h"
#include "index/postings_format.h"
#include "index/postings_writer.h"
