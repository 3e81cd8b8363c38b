// fsouza/fake-gcs-server as a plain process on 127.0.0.1, for gs:// tests.
// tools/install-deps.sh builds it into build/go/bin (LIBSEARCH_FAKE_GCS_SERVER
// names another binary). A missing emulator fails the tests that need it:
// it is part of the test dependencies, not optional.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;  // NOLINT: POSIX's, for posix_spawn.

namespace libsearch::testing {

class FakeGcs {
 public:
  static constexpr char kBucket[] = "libsearch-test";

  static std::string Binary() {
    if (const char* p = std::getenv("LIBSEARCH_FAKE_GCS_SERVER"); p != nullptr && *p != '\0') {
      return p;
    }
    return std::string(LIBSEARCH_SOURCE_DIR) + "/build/go/bin/fake-gcs-server";
  }

  // True if the tests may skip when the binary is missing.
  // Starts the emulator with the empty bucket kBucket, its files and log
  // under `dir`. ok() says whether it is listening; error() says why not.
  explicit FakeGcs(const std::string& dir) {
    const std::string binary = Binary();
    if (!std::filesystem::exists(binary)) {
      error_ = "no fake-gcs-server at " + binary + " (tools/install-deps.sh builds it)";
      return;
    }
    std::filesystem::create_directories(dir + "/seed/" + kBucket);  // An empty bucket.
    log_ = dir + "/fake-gcs-server.log";
    for (int attempt = 0; attempt < 5 && !ok(); ++attempt) {
      port_ = FreePort();
      const std::string port = std::to_string(port_);
      std::vector<std::string> args = {binary,
                                       "-scheme",
                                       "http",
                                       "-host",
                                       "127.0.0.1",
                                       "-port",
                                       port,
                                       "-backend",
                                       "memory",
                                       "-data",
                                       dir + "/seed",
                                       "-public-host",
                                       "127.0.0.1:" + port,
                                       "-log-level",
                                       "warn"};
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                       0644);
      posix_spawn_file_actions_adddup2(&actions, 1, 2);
      const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
      posix_spawn_file_actions_destroy(&actions);
      if (rc != 0) {
        pid_ = -1;
        error_ = "cannot start " + binary;
        return;
      }
      if (WaitForPort()) {
        error_.clear();
        return;
      }
      Stop();
      error_ = "fake-gcs-server did not listen on port " + port + ": " + Log();
    }
  }
  ~FakeGcs() { Stop(); }
  FakeGcs(const FakeGcs&) = delete;
  FakeGcs& operator=(const FakeGcs&) = delete;

  bool ok() const { return pid_ > 0 && error_.empty(); }
  const std::string& error() const { return error_; }
  // For STORAGE_EMULATOR_HOST.
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // A port nothing listens on (now).
  static int FreePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
  }

 private:
  bool WaitForPort() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // Exited (port taken?).
        pid_ = -1;
        return false;
      }
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      ::close(fd);
      if (connected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
  std::string error_ = "not started";
};

}  // namespace libsearch::testing
