#pragma once

// A real PostgreSQL server for the store's tests: Debian's postgresql 15 binaries, a cluster in a
// temporary folder, trust authentication, a free loopback port. Started on first use and stopped
// (folder removed) when the test program ends, so a test binary pays for it once. initdb's
// output is kept as a template in the temporary folder (built once per machine, copied per run):
// ctest runs every test in its own process, and initdb takes seconds where a copy takes a blink.
// As root (CI), initdb and pg_ctl run as the `postgres` user, since they refuse to run as root.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace tunecase::testing {

class PostgresServer {
 public:
  // The shared server, or nullptr when it cannot run here; `why_not()` then says why.
  static PostgresServer* get() {
    static std::unique_ptr<PostgresServer> server = start();
    return server.get();
  }
  static std::string& why_not() {
    static std::string reason;
    return reason;
  }

  // A new, empty store location on the server: its own schema in one shared database (a
  // schema is created in a blink, a database in half a second). Returns its URL.
  std::string new_database() {
    static std::atomic<int> next{0};
    std::string schema = "store_test_" + std::to_string(next++);
    pqxx::connection admin(url("postgres"));
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE SCHEMA " + schema);
    return url("postgres") + "?options=-csearch_path%3D" + schema;
  }

  std::string url(const std::string& db) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }
  int port() const { return port_; }

  // A server of the caller's own, stopped when it is destroyed (nullptr, with why_not(), when
  // none can run here): for a test that stops it, since the shared one serves the other tests
  // of the same program.
  static std::unique_ptr<PostgresServer> start_own() { return start(); }

  // An outage: the server stops (fast shutdown: connections are cut) and starts again on the
  // same port and data.
  void stop() { run(pg_ctl() + " -D " + data_.string() + " -m fast -w stop >/dev/null 2>&1"); }
  bool start_again() { return launch(); }

  ~PostgresServer() {
    run(pg_ctl() + " -D " + data_.string() + " -m immediate -w stop >/dev/null 2>&1");
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

 private:
  static std::string bin() {
    const char* env = std::getenv("TUNECASE_PG_BIN");
    return env ? env : "/usr/lib/postgresql/15/bin";
  }
  static bool as_root() { return geteuid() == 0; }
  static std::string as_postgres(const std::string& cmd) {
    return as_root() ? "runuser -u postgres -- " + cmd : cmd;
  }
  std::string pg_ctl() const { return as_postgres(bin() + "/pg_ctl"); }
  static int run(const std::string& cmd) { return std::system(cmd.c_str()); }

  static int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
  }

  static void give_to_postgres(const std::filesystem::path& path) {
    if (!as_root()) return;
    passwd* pw = getpwnam("postgres");
    if (pw) run("chown -R postgres:postgres " + path.string());
  }

  // The initdb'd cluster every run copies, built once under a lock.
  static std::filesystem::path template_cluster() {
    auto root = std::filesystem::temp_directory_path() /
                ("tunecase-pg15-template-" + std::to_string(geteuid()));
    auto ready = root / "data";
    if (std::filesystem::exists(ready / "PG_VERSION")) return ready;
    std::filesystem::create_directories(root);
    int lock = open((root.string() + ".lock").c_str(), O_CREAT | O_RDWR, 0600);
    flock(lock, LOCK_EX);
    if (!std::filesystem::exists(ready / "PG_VERSION")) {
      auto building = root / "building";
      std::filesystem::remove_all(building);
      std::filesystem::create_directories(building);
      give_to_postgres(root);
      int rc = run(as_postgres(bin() + "/initdb -D " + building.string() +
                               " --auth=trust -U postgres --no-sync -E UTF8 --locale=C "
                               ">/dev/null 2>&1"));
      if (rc == 0) std::filesystem::rename(building, ready);
    }
    flock(lock, LOCK_UN);
    close(lock);
    return ready;
  }

  static std::unique_ptr<PostgresServer> start() {
    if (!std::filesystem::exists(bin() + "/initdb") ||
        !std::filesystem::exists(bin() + "/pg_ctl")) {
      why_not() = "PostgreSQL 15 server binaries not found in " + bin() +
                  "; run scripts/install-deps (Debian package postgresql)";
      return nullptr;
    }
    std::unique_ptr<PostgresServer> s(new PostgresServer);
    char pattern[] = "/tmp/tunecase-pg-XXXXXX";
    if (!mkdtemp(pattern)) {
      why_not() = "cannot create a temporary folder for PostgreSQL";
      return nullptr;
    }
    s->dir_ = pattern;
    s->data_ = s->dir_ / "data";
    auto cluster = template_cluster();
    if (!std::filesystem::exists(cluster / "PG_VERSION") ||
        run("cp -a " + cluster.string() + " " + s->data_.string()) != 0) {
      why_not() = "initdb failed (see " + cluster.string() + ")";
      return nullptr;
    }
    give_to_postgres(s->dir_);
    for (int attempt = 0; attempt < 3; ++attempt) {
      s->port_ = free_port();
      if (s->launch()) return s;
    }
    why_not() = "pg_ctl could not start PostgreSQL (see " + (s->dir_ / "server.log").string() + ")";
    s->port_ = 0;
    return nullptr;
  }

  bool launch() {
    std::string options = "-p " + std::to_string(port_) + " -k " + dir_.string() +
                          " -c listen_addresses=127.0.0.1 -c fsync=off";
    return run(pg_ctl() + " -D " + data_.string() + " -l " + (dir_ / "server.log").string() +
               " -w -o \"" + options + "\" start >/dev/null 2>&1") == 0;
  }

  std::filesystem::path dir_;
  std::filesystem::path data_;
  int port_ = 0;
};

// Skips the current test, naming what to install, when no PostgreSQL server can run here.
#define TUNECASE_SKIP_WITHOUT_POSTGRES()                            \
  if (::tunecase::testing::PostgresServer::get() == nullptr) {      \
    GTEST_SKIP() << ::tunecase::testing::PostgresServer::why_not(); \
  }

}  // namespace tunecase::testing
