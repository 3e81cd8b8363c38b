// Schema parsing: the input is a schema's JSON text. Checked: a bad schema
// is a clean InvalidArgument; a good one prints (ToJson) as JSON that parses
// back to the same schema, and an index of it builds, opens and answers a
// search with its search defaults.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "fuzz_util.h"

namespace libsearch::fuzz {
namespace {

void Run(std::string_view json) {
  const Result<Schema> schema = Schema::FromJson(json);
  if (!schema.ok()) {
    FUZZ_CHECK(schema.status().code() == StatusCode::kInvalidArgument, schema.status().ToString());
    return;
  }
  const std::string printed = schema->ToJson();
  FUZZ_CHECK(IsJson(printed), "ToJson: " + printed);
  const Result<Schema> again = Schema::FromJson(printed);
  FUZZ_CHECK(again.ok(), again.status().ToString() + " for " + printed);
  FUZZ_CHECK(again->ToJson() == printed, "not a fixed point: " + printed);

  auto builder = IndexBuilder::Create(*schema);
  FUZZ_CHECK(builder.ok(), builder.status().ToString());
  nlohmann::json doc = {{schema->id_field(), "d1"}};
  const Status added = (*builder)->AddJson(doc.dump());
  FUZZ_CHECK(added.ok(), added.ToString() + " for " + doc.dump());
  const std::string path = ScratchDir() + "/schema.idx";
  std::filesystem::remove(path);
  const Status built = (*builder)->Build(path);
  FUZZ_CHECK(built.ok(), built.ToString());
  auto index = Index::Open(path);
  FUZZ_CHECK(index.ok(), index.status().ToString());
  FUZZ_CHECK((*index)->schema().ToJson() == printed, "the stored schema differs");
  const JsonReply reply = HandleSearchJson(**index, "{}");
  FUZZ_CHECK(IsJson(reply.body), reply.body);
}

}  // namespace
}  // namespace libsearch::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  libsearch::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
