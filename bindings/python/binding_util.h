// What the files of the extension libsearch._core share: errors carried to
// the exception translator (core.cc), the writers' bindings (writers.cc)
// and the fan-out coordinator's (fan_out.cc).
#pragma once

#include <libsearch/libsearch.h>
#include <pybind11/pybind11.h>

#include <utility>

namespace libsearch_py {

namespace py = pybind11;

// Carries a non-OK Status from the C++ call to the exception translator,
// which runs with the GIL held.
struct StatusError {
  libsearch::Status status;
};

inline void Check(const libsearch::Status& status) {
  if (!status.ok()) throw StatusError{status};
}

template <typename T>
inline T Unwrap(libsearch::Result<T> result) {
  if (!result.ok()) throw StatusError{result.status()};
  return std::move(*result);
}

// What a commit did, as IndexWriter.commit() returns it.
py::dict CommitDict(const libsearch::CommitInfo& c);

// IndexWriter, ShardedWriter and shard_of.
void BindWriter(py::module_& m);

// FanOutIndex (fan_out.cc).
void BindFanOut(py::module_& m);

}  // namespace libsearch_py
