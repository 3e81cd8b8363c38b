// The writers of libsearch._core: IndexWriter and ShardedWriter.
#include <libsearch/index_writer.h>
#include <libsearch/libsearch.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "binding_util.h"

namespace libsearch_py {
namespace {

using libsearch::Status;

// The change methods IndexWriter and ShardedWriter share (same names and
// arguments); commit() and compact() return `commit_dict` of their info.
// Every call that reads or writes files releases the GIL.
template <typename Writer, typename CommitDictFn>
void DefChanges(py::class_<Writer>& c, CommitDictFn commit_dict) {
  c.def_property_readonly("schema", [](const Writer& self) { return self.schema(); })
      .def(
          "upsert_json", [](Writer& self, const std::string& json) { Check(self.Upsert(json)); },
          py::call_guard<py::gil_scoped_release>())
      .def(
          "delete", [](Writer& self, const std::string& id) { Check(self.Delete(id)); },
          py::call_guard<py::gil_scoped_release>())
      .def(
          "set_json",
          [](Writer& self, const std::string& id, const std::string& fields) {
            Check(self.Set(id, fields));
          },
          py::call_guard<py::gil_scoped_release>())
      .def(
          "apply", [](Writer& self, const std::string& line) { Check(self.Apply(line)); },
          py::call_guard<py::gil_scoped_release>())
      .def(
          "apply_jsonl",
          [](Writer& self, const std::string& path, bool skip_bad, size_t max_error_messages) {
            libsearch::IngestOptions o;
            o.skip_bad = skip_bad;
            o.max_error_messages = max_error_messages;
            return Unwrap(self.ApplyJsonl(path, o));
          },
          py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("has_pending", &Writer::has_pending)
      .def("commit",
           [commit_dict](Writer& self) {
             auto r = [&] {
               py::gil_scoped_release release;
               return self.Commit();
             }();
             return commit_dict(Unwrap(std::move(r)));
           })
      .def("compact",
           [commit_dict](Writer& self) {
             auto r = [&] {
               py::gil_scoped_release release;
               return self.Compact();
             }();
             return commit_dict(Unwrap(std::move(r)));
           })
      .def("rollback", &Writer::Rollback);
}

}  // namespace

// What a commit did, as IndexWriter.commit() returns it.
py::dict CommitDict(const libsearch::CommitInfo& c) {
  py::dict d;
  d["generation"] = c.generation;
  d["segments"] = c.segments;
  d["live_docs"] = c.live_docs;
  d["docs_added"] = c.docs_added;
  d["docs_deleted"] = c.docs_deleted;
  d["docs_updated"] = c.docs_updated;
  d["not_found"] = c.not_found;
  d["merges"] = c.merges;
  d["changed"] = c.changed;
  return d;
}

// IndexWriter and ShardedWriter.
void BindWriter(py::module_& m) {
  using libsearch::IndexWriter;
  auto options = [](bool merge_on_commit, int zstd_level, uint32_t block_bytes) {
    libsearch::IndexWriterOptions o;
    o.merge_on_commit = merge_on_commit;
    o.docstore_zstd_level = zstd_level;
    o.docstore_block_bytes = block_bytes;
    return o;
  };
  auto commit_dict = [](const libsearch::CommitInfo& c) { return CommitDict(c); };
  py::class_<IndexWriter> writer(m, "IndexWriter");
  writer
      .def_static(
          "create",
          [options](const std::string& path, const libsearch::Schema& schema,
                    const std::vector<std::vector<std::string>>& synonyms, bool merge_on_commit,
                    int zstd_level, uint32_t block_bytes) {
            return Unwrap(IndexWriter::Create(
                path, schema, options(merge_on_commit, zstd_level, block_bytes), synonyms));
          },
          py::call_guard<py::gil_scoped_release>())
      .def_static(
          "open",
          [options](const std::string& path, bool merge_on_commit, int zstd_level,
                    uint32_t block_bytes) {
            return Unwrap(
                IndexWriter::Open(path, options(merge_on_commit, zstd_level, block_bytes)));
          },
          py::call_guard<py::gil_scoped_release>());
  DefChanges(writer, [commit_dict](const libsearch::CommitInfo& c) { return commit_dict(c); });

  // ShardedWriter (sharded_index.h): the same changes, routed by id.
  auto sharded_dict = [](const libsearch::ShardedCommitInfo& c) {
    py::dict d;
    d["generation"] = c.generation;
    d["live_docs"] = c.live_docs;
    d["changed"] = c.changed;
    py::list shards;
    for (const libsearch::CommitInfo& s : c.shards) shards.append(CommitDict(s));
    d["shards"] = shards;
    return d;
  };
  auto sharded_options = [options](bool merge_on_commit, int zstd_level, uint32_t block_bytes,
                                   size_t threads) {
    libsearch::ShardedWriterOptions o;
    o.shard = options(merge_on_commit, zstd_level, block_bytes);
    o.threads = threads;
    return o;
  };
  using libsearch::ShardedWriter;
  py::class_<ShardedWriter> sharded(m, "ShardedWriter");
  sharded
      .def_static(
          "create",
          [sharded_options](
              const std::string& path, const libsearch::Schema& schema, uint32_t num_shards,
              const std::vector<std::vector<std::string>>& synonyms, bool merge_on_commit,
              int zstd_level, uint32_t block_bytes, size_t threads) {
            return Unwrap(ShardedWriter::Create(
                path, schema, num_shards,
                sharded_options(merge_on_commit, zstd_level, block_bytes, threads), synonyms));
          },
          py::call_guard<py::gil_scoped_release>())
      .def_static(
          "open",
          [sharded_options](const std::string& path, bool merge_on_commit, int zstd_level,
                            uint32_t block_bytes, size_t threads) {
            return Unwrap(ShardedWriter::Open(
                path, sharded_options(merge_on_commit, zstd_level, block_bytes, threads)));
          },
          py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("num_shards", &ShardedWriter::num_shards);
  DefChanges(sharded, sharded_dict);
  m.def("shard_schema",
        [](const libsearch::Schema& schema) { return Unwrap(libsearch::ShardSchema(schema)); });
  m.def(
      "publish_shard_map",
      [](const std::string& dir, const libsearch::Schema& schema,
         const std::vector<std::string>& shard_paths) {
        Check(libsearch::PublishShardMap(dir, schema, shard_paths));
      },
      py::call_guard<py::gil_scoped_release>());
  // Sharded indexes in object storage (remote.h): files as dicts, shards as dicts.
  auto stats_list = [](const std::vector<libsearch::ShardStatsFiles>& files) {
    py::list out;
    for (const auto& f : files) {
      py::dict d;
      d["segment"] = f.segment;
      d["tombstones"] = f.tombstones;
      out.append(d);
    }
    return out;
  };
  m.def("write_shard_statistics", [stats_list](const std::string& dir, const std::string& path) {
    std::vector<libsearch::ShardStatsFiles> files;
    {
      py::gil_scoped_release release;
      files = Unwrap(libsearch::WriteShardStatistics(dir, path));
    }
    return stats_list(files);
  });
  m.def("upload_shard",
        [stats_list](const std::string& dir, const std::string& path, const std::string& url) {
          libsearch::RemoteShard shard;
          {
            py::gil_scoped_release release;
            shard = Unwrap(libsearch::UploadShard(dir, path, url));
          }
          py::dict d;
          d["path"] = shard.path;
          d["generation"] = shard.generation;
          d["next_seq"] = shard.next_seq;
          d["stats"] = stats_list(shard.stats);
          return d;
        });
  m.def("publish_remote_shard_map",
        [](const std::string& url, const libsearch::Schema& schema, const py::list& shards) {
          std::vector<libsearch::RemoteShard> list;
          for (const py::handle& h : shards) {
            const py::dict d = py::reinterpret_borrow<py::dict>(h);
            libsearch::RemoteShard s;
            s.path = d["path"].cast<std::string>();
            s.generation = d["generation"].cast<uint64_t>();
            s.next_seq = d["next_seq"].cast<uint64_t>();
            for (const py::handle& f : d["stats"].cast<py::list>()) {
              const py::dict fd = py::reinterpret_borrow<py::dict>(f);
              s.stats.push_back({fd["segment"].cast<std::string>(),
                                 fd["tombstones"].cast<std::vector<std::string>>()});
            }
            list.push_back(std::move(s));
          }
          py::gil_scoped_release release;
          Check(libsearch::PublishRemoteShardMap(url, schema, list));
        });
  m.def(
      "upload_sharded_index",
      [](const std::string& dir, const std::string& url) {
        Check(libsearch::UploadShardedIndex(dir, url));
      },
      py::call_guard<py::gil_scoped_release>());
  m.def("shard_of", [](const std::string& id, uint32_t num_shards) {
    if (num_shards == 0) Check(Status::InvalidArgument("num_shards must be at least 1"));
    return libsearch::ShardOf(id, num_shards);
  });
}

}  // namespace libsearch_py
