// The fan-out coordinator of libsearch._core (libsearch/fan_out.h):
// FanOutIndex over shard URLs or over shards open in this process, and the
// shard side's HandleShardRequest. Thin: every rule is the library's.
#include <libsearch/fan_out.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "binding_util.h"

namespace libsearch_py {
namespace {

libsearch::FanOutOptions Options(double shard_timeout_seconds, size_t cursor_cache_entries) {
  if (!(shard_timeout_seconds > 0)) {
    Check(libsearch::Status::InvalidArgument("shard_timeout must be > 0 seconds"));
  }
  libsearch::FanOutOptions o;
  o.shard_timeout = std::chrono::milliseconds(
      std::max<int64_t>(1, static_cast<int64_t>(shard_timeout_seconds * 1000 + 0.5)));
  o.cursor_cache_entries = cursor_cache_entries;
  return o;
}

}  // namespace

void BindFanOut(py::module_& m) {
  // URLs as one string (commas or white space: LIBSEARCH_SHARDS's form).
  m.def(
      "fan_out_open_urls",
      [](const std::string& urls, double shard_timeout, size_t cursor_cache_entries) {
        return std::shared_ptr<libsearch::Index>(Unwrap(
            libsearch::FanOutIndex::OpenUrls(urls, Options(shard_timeout, cursor_cache_entries))));
      },
      py::call_guard<py::gil_scoped_release>());
  m.def(
      "fan_out_open_url_list",
      [](const std::vector<std::string>& urls, double shard_timeout, size_t cursor_cache_entries) {
        auto transport = Unwrap(libsearch::HttpShardTransport(urls));
        return std::shared_ptr<libsearch::Index>(Unwrap(libsearch::FanOutIndex::Open(
            std::move(transport), Options(shard_timeout, cursor_cache_entries))));
      },
      py::call_guard<py::gil_scoped_release>());
  m.def(
      "fan_out_open_in_process",
      [](const std::vector<std::shared_ptr<libsearch::Index>>& shards, double shard_timeout,
         size_t cursor_cache_entries) {
        std::vector<std::shared_ptr<const libsearch::Index>> in(shards.begin(), shards.end());
        for (const auto& s : in) {
          if (s == nullptr) Check(libsearch::Status::InvalidArgument("a shard is None"));
        }
        return std::shared_ptr<libsearch::Index>(
            Unwrap(libsearch::FanOutIndex::Open(libsearch::InProcessShardTransport(std::move(in)),
                                                Options(shard_timeout, cursor_cache_entries))));
      },
      py::call_guard<py::gil_scoped_release>());
  m.def("handle_shard_request", [](const libsearch::Index& shard, const py::bytes& body) {
    std::string text = body;
    py::gil_scoped_release release;
    return libsearch::HandleShardRequest(shard, text);
  });
  m.def("is_shard_request", [](const py::bytes& body) {
    std::string text = body;
    return libsearch::IsShardRequest(text);
  });
}

}  // namespace libsearch_py
