// Builds a two-document index and searches it through the installed API.
#include <libsearch/libsearch.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto schema = libsearch::Schema::FromJson(
      R"({"id": "sku", "fields": {"title": {"type": "text", "stored": true}}})");
  if (!schema.ok()) return 1;
  auto builder = libsearch::IndexBuilder::Create(*schema);
  if (!builder.ok()) return 1;
  if (!(*builder)->AddJson(R"({"sku": "1", "title": "Blue running shoes"})").ok()) return 1;
  if (!(*builder)->AddJson(R"({"sku": "2", "title": "Red rain jacket"})").ok()) return 1;
  if (!(*builder)->Build(argv[1]).ok()) return 1;
  auto index = libsearch::Index::Open(argv[1]);
  if (!index.ok()) return 1;
  libsearch::SearchRequest req;
  req.query = "shoe";
  auto resp = (*index)->Search(req);
  if (!resp.ok() || resp->total != 1 || resp->hits[0].id != "1") return 1;
  // The installed headers and the library linked are the same version.
  if (std::strcmp(libsearch::Version(), LIBSEARCH_VERSION_STRING) != 0) return 1;
  std::printf("consumer OK: libsearch %s found %s\n", libsearch::Version(),
              resp->hits[0].id.c_str());
  return 0;
}
