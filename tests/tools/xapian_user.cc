// Links Xapian (GPL-2.0-or-later) into the licence probe's second build, the
// way an accidental dependency would: check_licences.py must reject it.
#include <xapian.h>

#include <string>

// Run before main(), so the linker cannot drop the reference.
const std::string kXapianStem = Xapian::Stem("english")("running");
