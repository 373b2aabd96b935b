#include "tunecase/store/sqlite_store.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include <sys/stat.h>

#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/sqlite_setup.h"
#include "tunecase/core/stderr_note.h"
#include "tunecase/core/work_pacing.h"
#include "tunecase/store/sql_database.h"
#include "tunecase/store/sql_store.h"

namespace tunecase {
namespace {

using store_detail::Dialect;
using store_detail::Durability;
using store_detail::SqlRow;
using store_detail::SqlRows;
using store_detail::SqlSession;
using store_detail::SqlValue;

// $N (the store's placeholders) -> ?N (SQLite's numbered parameters).
std::string to_sqlite_placeholders(std::string sql) {
  for (char& c : sql) {
    if (c == '$') c = '?';
  }
  return sql;
}

// One SQLite connection and its prepared statements; a SqlSession inside the transaction that
// transaction() opens. Not thread-safe: its owner serialises the calls.
class SqliteConnection final : public SqlSession {
 public:
  explicit SqliteConnection(std::filesystem::path file) : file_(std::move(file)) {
    try {
      open();
    } catch (...) {
      close();
      throw;
    }
  }
  ~SqliteConnection() override { close(); }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  void transaction(const char* begin, const std::function<void(SqlSession&)>& body) {
    // A paced thread's transaction (the gateway's background log writer: core/work_pacing.h)
    // pauses inside SQLite's work too, every 50 virtual-machine steps. (A commit's page writes
    // are not reached: docs/benchmarks.md, "Background work in slices".)
    PacedSteps paced(db_);
    run(begin);
    try {
      body(*this);
      run("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  void run(const char* sql) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, sql);
  }

  // The file's journal mode when this connection opened it ("delete" for a file another
  // application wrote, "wal" for a store), for a refusal to leave such a file as it was.
  const std::string& journal_mode_before() const { return journal_mode_before_; }
  void restore_journal_mode() {
    if (journal_mode_before_.empty() || journal_mode_before_ == "wal") return;
    sqlite3_exec(db_, ("PRAGMA journal_mode=" + journal_mode_before_).c_str(), nullptr, nullptr,
                 nullptr);
  }

  // SQLite's quick integrity check (every page's structure, not the indexes' contents): "ok",
  // or its first finding. It reads every page: 0.74 s for a store of a million predictions in
  // the page cache (docs/serve.md, "When the store fails").
  std::string quick_check() { return text_of("PRAGMA quick_check(1)"); }

  // The first column of a statement's first row, "" without one.
  std::string text_of(const char* sql) {
    std::string first;
    int rc = sqlite3_exec(
        db_, sql,
        [](void* out, int columns, char** values, char**) {
          if (columns > 0 && values[0] != nullptr && static_cast<std::string*>(out)->empty())
            *static_cast<std::string*>(out) = values[0];
          return 0;
        },
        &first, nullptr);
    if (rc != SQLITE_OK) fail(rc, sql);
    return first;
  }

  // Copies every commit in the write-ahead log into the store file and empties the log, through
  // the log this connection has open (the file at its path may be gone); then keeps the log file
  // on close, so that closing never deletes a log at the path that another process made.
  void checkpoint_and_keep_log() {
    int logged = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &logged, &copied);
    if (rc != SQLITE_OK) fail(rc, "checkpoint");
    int keep = 1;
    sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
  }

 private:
  void open() {
    std::error_code ec;
    if (file_.has_parent_path()) std::filesystem::create_directories(file_.parent_path(), ec);
    if (ec) {
      throw UserError(
          fmt::format("cannot create the folder of the store {}: {}. Create it or pass "
                      "another --store path.",
                      file_.string(), ec.message()));
    }
    configure_sqlite();
    int rc =
        sqlite3_open_v2(file_.string().c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) fail(rc, "open");
    sqlite3_busy_timeout(db_, 5000);
    sqlite3_extended_result_codes(db_, 0);
    journal_mode_before_ = text_of("PRAGMA journal_mode");
    run("PRAGMA journal_mode=WAL");
    run("PRAGMA synchronous=NORMAL");
    run("PRAGMA foreign_keys=ON");
  }

  void close() noexcept {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    statements_.clear();
    sqlite3_close(db_);
    db_ = nullptr;
  }

  class PacedSteps {
   public:
    explicit PacedSteps(sqlite3* db) : db_(thread_pacer() ? db : nullptr) {
      if (db_) sqlite3_progress_handler(db_, kStepsPerPoint, &point, nullptr);
    }
    ~PacedSteps() {
      if (db_) sqlite3_progress_handler(db_, 0, nullptr, nullptr);
    }
    PacedSteps(const PacedSteps&) = delete;
    PacedSteps& operator=(const PacedSteps&) = delete;

   private:
    static constexpr int kStepsPerPoint = 50;  // about a microsecond of SQLite's work
    static int point(void*) {
      pace_point();
      return 0;  // never interrupts
    }
    sqlite3* db_;
  };

  // Errors the user can fix (a read-only file, a full disk, a file that is not a store) are
  // UserError; rows the store refuses (a constraint) are RecordsRefused; anything else is a bug
  // and stays a runtime_error.
  [[noreturn]] void fail(int rc, std::string_view what) const {
    const char* msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    // A write that ran out of room is often an I/O error to SQLite: said as the full disk it is.
    if ((rc & 0xff) == SQLITE_IOERR && disk_nearly_full(file_)) rc = SQLITE_FULL;
    switch (rc) {
      case SQLITE_CANTOPEN:
      case SQLITE_READONLY:
      case SQLITE_PERM:
      case SQLITE_IOERR:
        throw UserError(
            fmt::format("cannot write the store {}: {}. Check that the file and its "
                        "folder are writable, or pass another --store path.",
                        file_.string(), msg));
      case SQLITE_FULL:
        throw UserError(
            fmt::format("the disk holding the store {} is full: {}. Free space on that disk "
                        "and run the same command again (the store keeps what it holds; "
                        "another --store path would start an empty store without it).",
                        file_.string(), msg));
      case SQLITE_NOTADB:
        throw UserError(
            fmt::format("{} is not a tunecase store ({}). Pass the path of a store "
                        "or of a new file.",
                        file_.string(), msg));
      case SQLITE_CORRUPT:
        // A damaged store is not "not a store": pointing at a new file had invited the user to
        // start over and leave the pilot's data behind.
        throw UserError(fmt::format(
            "the store {} is damaged ({}): stop every process using it and restore it from a "
            "backup; without one, `sqlite3 {} .dump | sqlite3 RECOVERED.db` (Debian package "
            "sqlite3) saves the rows SQLite can still read, and `tunecase pilot --store "
            "RECOVERED.db` shows what they "
            "hold. Do not start a new store at this path",
            file_.string(), msg, file_.string()));
      case SQLITE_BUSY:
        throw UserError(
            fmt::format("the store {} stayed locked by another process for 5 s: {}. "
                        "Stop the other writer or use PostgreSQL for several "
                        "processes.",
                        file_.string(), msg));
      case SQLITE_CONSTRAINT:
      case SQLITE_TOOBIG:
      case SQLITE_MISMATCH:
        throw RecordsRefused(fmt::format("store {}: {} ({})", file_.string(), msg, what));
      default:
        throw std::runtime_error(fmt::format("store {}: {} ({})", file_.string(), msg, what));
    }
  }

  sqlite3_stmt* prepare(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    std::string text = to_sqlite_placeholders(sql);
    int rc = sqlite3_prepare_v2(db_, text.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, sql);
    statements_.emplace(sql, stmt);
    return stmt;
  }

  void bind(sqlite3_stmt* stmt, const std::vector<SqlValue>& params, std::size_t first,
            std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      const SqlValue& v = params[first + i];
      int k = static_cast<int>(i + 1);
      if (auto* n = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(stmt, k, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(stmt, k, *d);
      } else if (auto* s = std::get_if<std::string>(&v)) {
        sqlite3_bind_text(stmt, k, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
      } else {
        sqlite3_bind_null(stmt, k);
      }
    }
  }

  static SqlValue column(sqlite3_stmt* stmt, int k) {
    switch (sqlite3_column_type(stmt, k)) {
      case SQLITE_INTEGER:
        return static_cast<int64_t>(sqlite3_column_int64(stmt, k));
      case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, k);
      case SQLITE_NULL:
        return std::monostate{};
      default: {
        auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, k));
        return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, k)));
      }
    }
  }

  SqlRows query(const std::string& sql, const std::vector<SqlValue>& params) override {
    sqlite3_stmt* stmt = prepare(sql);
    bind(stmt, params, 0, params.size());
    SqlRows rows;
    int columns = sqlite3_column_count(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      SqlRow row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int k = 0; k < columns; ++k) row.push_back(column(stmt, k));
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) fail(rc, sql);
    sqlite3_reset(stmt);
    return rows;
  }

  int64_t exec(const std::string& sql, const std::vector<SqlValue>& params) override {
    sqlite3_stmt* stmt = prepare(sql);
    bind(stmt, params, 0, params.size());
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) fail(rc, sql);
    sqlite3_reset(stmt);
    return sqlite3_changes(db_);
  }

  void insert_rows(const std::string& table, const std::vector<std::string>& columns,
                   const std::vector<SqlValue>& rows) override {
    std::string sql = fmt::format("INSERT INTO {}({}) VALUES (", table, fmt::join(columns, ", "));
    for (std::size_t k = 1; k <= columns.size(); ++k)
      sql += fmt::format("{}${}", k > 1 ? ", " : "", k);
    sql += ")";
    sqlite3_stmt* stmt = prepare(sql);
    for (std::size_t first = 0; first < rows.size(); first += columns.size()) {
      bind(stmt, rows, first, columns.size());
      int rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) {
        sqlite3_reset(stmt);
        fail(rc, sql);
      }
      sqlite3_reset(stmt);
    }
  }

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
  std::string journal_mode_before_;
};

// Writes go through one connection, reads through another (opened at the first read): in WAL
// mode a reader never waits for a writer, so the gateway's /metrics and /v1/pilot answer while
// its log writer waits out another process's write lock (up to the busy timeout) instead of
// queueing behind it.
class SqliteDatabase final : public store_detail::SqlDatabase {
 public:
  explicit SqliteDatabase(std::filesystem::path file)
      : file_(std::move(file)),
        writer_(std::make_unique<SqliteConnection>(file_)),
        identity_(identity_of(file_)),
        log_identity_(identity_of(log_path())) {
    // A damaged store is refused when opened: the gateway had started on one and failed some of
    // its commits for good, and `tunecase pilot` read it without a word.
    if (std::string check = writer_->quick_check(); check != "ok") {
      std::replace(check.begin(), check.end(), '\n', ' ');
      throw UserError(fmt::format(
          "the store {} is damaged (SQLite's integrity check: {}): stop every process using it "
          "and restore it from a backup; without one, `sqlite3 {} .dump | sqlite3 "
          "RECOVERED.db` (Debian package sqlite3) saves the rows SQLite can still read. Do not "
          "start a new store at this path",
          file_.string(), check, file_.string()));
    }
  }

  Dialect dialect() const override { return Dialect::sqlite; }
  std::string describe() const override { return file_.string(); }

  void write(Durability durability, const std::function<void(SqlSession&)>& body) override {
    std::lock_guard lock(writer_mutex_);
    check_still_there();
    check_log_still_there();
    open_writer();
    if (durability == Durability::durable) writer_->run("PRAGMA synchronous=FULL");
    writer_->transaction("BEGIN IMMEDIATE", body);
    if (durability == Durability::durable) writer_->run("PRAGMA synchronous=NORMAL");
    if (!log_identity_) log_identity_ = identity_of(log_path());
  }
  void read(const std::function<void(SqlSession&)>& body) override {
    std::lock_guard lock(reader_mutex_);
    if (!reader_) reader_ = std::make_unique<SqliteConnection>(file_);
    reader_->transaction("BEGIN", body);
  }
  void migrate(const std::function<void(SqlSession&)>& body) override {
    // A file refused (another application's tables) is left as it was: opening it had switched
    // it to WAL, which persists in the file and changes how its own application must open it.
    try {
      write(Durability::durable, body);
    } catch (const UserError&) {
      {
        // The read that checked the schema first holds the file in WAL too: closed, or the
        // journal mode could not change back.
        std::lock_guard lock(reader_mutex_);
        reader_.reset();
      }
      std::lock_guard lock(writer_mutex_);
      if (writer_) writer_->restore_journal_mode();
      throw;
    }
  }
  void check_files() override {
    std::lock_guard lock(writer_mutex_);
    check_log_still_there();
    open_writer();
  }

 private:
  // The file's device and inode: a store deleted (or replaced) under an open connection takes
  // every later commit with it when the connection closes, while each commit succeeds.
  using Identity = std::pair<dev_t, ino_t>;
  static std::optional<Identity> identity_of(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return std::nullopt;
    return Identity{st.st_dev, st.st_ino};
  }
  // Before each write: the file at the path is still the one this connection writes to (one
  // stat(), about a microsecond, per commit), else a store failure the gateway reports.
  void check_still_there() const {
    if (!identity_) return;
    std::optional<Identity> now = identity_of(file_);
    if (now == identity_) return;
    throw UserError(fmt::format(
        "the store {} is {} since this process opened it: a commit would go to a file no "
        "longer at that path (a deleted one is lost when it closes), so nothing more is "
        "committed. If it was moved, move it back (its latest commits are in the -wal file "
        "still at the path) and commits resume. Otherwise stop this process first (what it holds "
        "is then counted as not stored); only then put a backup at the path, after removing the "
        "-wal and -shm files there, which belong to the old file (a backup put there while this "
        "process runs is damaged by them), and start it again (without a backup a new store is "
        "created)",
        file_.string(), now ? "another file" : "gone (deleted or moved)"));
  }

  std::filesystem::path log_path() const { return file_.string() + "-wal"; }

  // The -wal file holds every commit since the last checkpoint. Deleted under an open connection
  // (a cleaner of temporary files, an operator), the commits went on into the deleted file and
  // died with the process: a kill -9 then lost feedback the gateway had acknowledged, and other
  // processes never saw them. Seen before the next commit, what the deleted log holds is copied
  // into the store (the checkpoint reads it through the connection's open descriptor) and the
  // connections are opened again, which starts a log at the path. A checkpoint that cannot run
  // (another process reading) is a store failure, tried again at the next commit.
  void check_log_still_there() {
    if (!writer_ || !log_identity_ || identity_of(log_path()) == log_identity_) return;
    writer_->checkpoint_and_keep_log();
    {
      std::lock_guard lock(reader_mutex_);
      reader_.reset();
    }
    writer_.reset();
    log_identity_.reset();
    const std::string note = fmt::format(
        "warning: the store's write-ahead log {} was deleted or replaced while this process "
        "wrote to it; every commit it held was copied into {} and a new log started\n",
        log_path().string(), file_.string());
    note_on_stderr(note);  // never throws (a full disk)
    open_writer();
  }
  // The writer connection, opened again after check_log_still_there() closed it; an opening that
  // fails is a store failure now and is tried again at the next write.
  void open_writer() {
    if (writer_) return;
    writer_ = std::make_unique<SqliteConnection>(file_);
    log_identity_ = identity_of(log_path());
  }

  std::filesystem::path file_;
  std::mutex writer_mutex_;
  std::unique_ptr<SqliteConnection> writer_;
  std::optional<Identity> identity_;
  std::optional<Identity> log_identity_;  // of log_path(), once it exists
  std::mutex reader_mutex_;
  std::unique_ptr<SqliteConnection> reader_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file) {
  return store_detail::make_sql_store(std::make_unique<SqliteDatabase>(file));
}

std::unique_ptr<Store> store_detail::open_sqlite_store(const std::filesystem::path& file,
                                                       const RunShape& shape) {
  return make_sql_store(std::make_unique<SqliteDatabase>(file), shape);
}

}  // namespace tunecase
