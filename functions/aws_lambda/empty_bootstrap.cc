// File: functions/aws_lambda/empty_bootstrap.cc
//
// The cold-start baseline for bench/functions: a custom runtime that opens
// nothing and answers every invocation with {}, through the same Runtime API
// client as the real bootstrap. Its start-to-first-response time under the
// emulator is the emulator's own overhead plus a process start.
#include <cstdio>

#include "functions/aws_lambda/runtime_api.h"

int main() {
  auto client = libsearch::functions::RuntimeApiClient::FromEnvironment();
  if (!client.ok()) {
    std::fprintf(stderr, "empty_bootstrap: %s\n", client.status().ToString().c_str());
    return 1;
  }
  for (;;) {
    auto inv = (*client)->Next();
    if (!inv.ok()) return 1;
    if (!(*client)->PostResponse(inv->request_id, "{}").ok()) return 1;
  }
}
