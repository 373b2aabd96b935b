// Opening a store: the location picks the backend, and every way it can fail is a UserError
// that says what to do and never shows a password.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "postgres_server.h"
#include "tunecase/core/error.h"
#include "tunecase/store/postgres_store.h"
#include "tunecase/store/schema.h"
#include "tunecase/store/store.h"

namespace tunecase {
namespace {

std::string open_error(const std::string& location) {
  try {
    open_store(location);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OpenStore, UnreachablePostgresNamesTheServerButNotThePassword) {
  std::string message = open_error("postgresql://alice:s3cr3t-pw@127.0.0.1:1/pilot");
  EXPECT_NE(message.find("127.0.0.1:1"), std::string::npos) << message;
  EXPECT_NE(message.find("server is running"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cr3t-pw"), std::string::npos) << message;
}

// PostgreSQL 15 gives no CREATE on schema public to a user that does not own the database: the
// store's first migration meets SQLSTATE 42501, which is the user's to fix, not a bug.
TEST(OpenStore, AUserWithoutCreateOnTheSchemaIsAUserErrorThatSaysWhatToGrant) {
  auto* server = tunecase::testing::PostgresServer::get();
  if (server == nullptr) GTEST_SKIP() << tunecase::testing::PostgresServer::why_not();
  std::string schema_url = server->new_database();
  std::string schema = schema_url.substr(schema_url.find("%3D") + 3);
  {
    pqxx::connection admin(server->url("postgres"));
    pqxx::nontransaction tx(admin);
    tx.exec("DROP ROLE IF EXISTS store_test_guest");
    tx.exec("CREATE ROLE store_test_guest LOGIN");
    tx.exec("GRANT USAGE ON SCHEMA " + schema + " TO store_test_guest");
  }
  std::string url = schema_url;
  url.replace(url.find("postgres@"), 9, "store_test_guest@");
  std::string message = open_error(url);
  EXPECT_NE(message.find("lacks a privilege"), std::string::npos) << message;
  EXPECT_NE(message.find("GRANT CREATE"), std::string::npos) << message;
}

TEST(OpenStore, MalformedPostgresUrlIsAUserErrorWithoutThePassword) {
  std::string message = open_error("postgres://alice:s3cr3t-pw@localhost:notaport/pilot");
  EXPECT_NE(message, "(no error)");
  EXPECT_EQ(message.find("s3cr3t-pw"), std::string::npos) << message;
  message = open_error("postgresql://alice@127.0.0.1:1/pilot?password=s3cr3t-pw");
  EXPECT_EQ(message.find("s3cr3t-pw"), std::string::npos) << message;
}

TEST(OpenStore, UnknownSchemeSaysWhichLocationsWork) {
  std::string message = open_error("mysql://root:s3cr3t-pw@db/pilot");
  EXPECT_NE(message.find("postgresql://"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cr3t-pw"), std::string::npos) << message;
  EXPECT_NE(open_error("").find("--store"), std::string::npos);
}

// libpq's keyword form had been taken for a SQLite file name, created in the working folder with
// the password in its name (and each replica then had a store of its own).
TEST(OpenStore, AKeywordConnectionStringIsRefusedWithTheUrlForm) {
  std::string message = open_error("host=127.0.0.1 port=5432 user=tc password=s3cr3t-pw dbname=tc");
  EXPECT_NE(message.find("postgresql://USER:PASSWORD@HOST:PORT/DBNAME"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("s3cr3t-pw"), std::string::npos) << message;
  EXPECT_FALSE(
      std::filesystem::exists("host=127.0.0.1 port=5432 user=tc password=s3cr3t-pw dbname=tc"));
  EXPECT_FALSE(tunecase::looks_like_libpq_keywords("/tmp/pilot store.db"));
  EXPECT_FALSE(tunecase::looks_like_libpq_keywords("runs/host=a.db"));
  EXPECT_TRUE(tunecase::looks_like_libpq_keywords("dbname=tc"));
  // libpq takes spaces around "=" too.
  EXPECT_TRUE(tunecase::looks_like_libpq_keywords("host = db password = s3cr3t-pw"));
  message = open_error("password = s3cr3t-pw host=127.0.0.1");
  EXPECT_NE(message.find("connection string of keywords"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cr3t-pw"), std::string::npos) << message;
  EXPECT_FALSE(tunecase::looks_like_libpq_keywords("./host=a/pilot.db"));
  EXPECT_TRUE(tunecase::looks_like_libpq_keywords("sslrootcert=root.crt sslpassword=x"));
  EXPECT_TRUE(tunecase::looks_like_libpq_keywords("target_session_attrs=read-write"));
}

TEST(OpenStore, SqlitePathThatCannotBeCreatedIsAUserError) {
  auto dir = std::filesystem::temp_directory_path() / "tunecase-open-store-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a-file") << "x";
  // A folder where the file should be, and a path through a regular file (root can write
  // anywhere, so permissions alone would not fail in CI).
  EXPECT_NE(open_error(dir.string()).find("writable"), std::string::npos)
      << open_error(dir.string());
  std::string through_file = (dir / "a-file" / "store.db").string();
  EXPECT_NE(open_error(through_file).find("another --store path"), std::string::npos)
      << open_error(through_file);
  std::filesystem::remove_all(dir);
}

TEST(OpenStore, AFileThatIsNotAStoreIsAUserError) {
  auto file = std::filesystem::temp_directory_path() / "tunecase-not-a-store.db";
  std::ofstream(file) << std::string(4096, 'x');
  EXPECT_NE(open_error(file.string()).find("not a tunecase store"), std::string::npos)
      << open_error(file.string());
  std::filesystem::remove(file);
}

// Another application's SQLite file is refused as it was found: opening it had switched it to
// WAL (a change that persists in the file) while the message said nothing was changed. A
// schema_version table without a `version` column is another application's too (it had been an
// internal error).
TEST(OpenStore, AnotherApplicationsSqliteFileIsLeftInItsJournalMode) {
  auto file = std::filesystem::temp_directory_path() / "tunecase-other-app.db";
  for (const char* tables :
       {"CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (11); "
        "CREATE TABLE meta (k TEXT, v TEXT);",
        "CREATE TABLE schema_version (v INTEGER); INSERT INTO schema_version VALUES (11);"}) {
    std::filesystem::remove(file);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, tables, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    std::string message = open_error(file.string());
    EXPECT_NE(message.find("not a tunecase store's"), std::string::npos) << message;
    EXPECT_EQ(message.find("please report"), std::string::npos) << message;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    std::string mode;
    sqlite3_exec(
        db, "PRAGMA journal_mode",
        [](void* out, int, char** values, char**) {
          *static_cast<std::string*>(out) = values[0];
          return 0;
        },
        &mode, nullptr);
    sqlite3_close(db);
    EXPECT_EQ(mode, "delete") << tables;
  }
  std::filesystem::remove(file);
}

TEST(OpenStore, SqliteFileAndItsFolderAreCreated) {
  auto dir = std::filesystem::temp_directory_path() / "tunecase-open-store-new";
  std::filesystem::remove_all(dir);
  auto store = open_store((dir / "sub" / "pilot.db").string());
  EXPECT_EQ(store->schema_version(), store_detail::kSchemaVersion);
  EXPECT_TRUE(std::filesystem::exists(dir / "sub" / "pilot.db"));
  store.reset();
  std::filesystem::remove_all(dir);
}

// Another process holds SQLite's write lock: the store's own write waits for it (up to the busy
// timeout), and meanwhile reads (the gateway's /metrics and /v1/pilot) still answer, from the
// last commit, instead of queueing behind that write.
TEST(OpenStore, SqliteReadsAnswerWhileAWriteWaitsForAnotherProcessLock) {
  auto dir = std::filesystem::temp_directory_path() / "tunecase-open-store-locked";
  std::filesystem::remove_all(dir);
  auto store = open_store((dir / "pilot.db").string());
  store->set_meta("committed", "1");

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "pilot.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  std::atomic<bool> write_done = false;
  std::thread writer([&] {
    try {
      store->set_meta("waited", "2");
    } catch (const UserError&) {  // the lock outlived the busy timeout
    }
    write_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the writer is in its wait
  EXPECT_EQ(store->meta("committed").value_or("(none)"), "1");
  EXPECT_FALSE(store->meta("waited").has_value());
  EXPECT_FALSE(write_done) << "the write should still be waiting for the other process's lock";

  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  writer.join();
  sqlite3_close(other);
  EXPECT_EQ(store->meta("waited").value_or("(none)"), "2");
  store.reset();
  std::filesystem::remove_all(dir);
}

// A store at the current schema opens in a read: `tunecase pilot` and `models` open it and read
// while another process holds a write transaction (they had waited 5 s for that lock to check
// the schema in a write of their own, then failed as "locked").
TEST(OpenStore, ACurrentSqliteStoreOpensAndReadsWhileAnotherProcessWrites) {
  auto dir = std::filesystem::temp_directory_path() / "tunecase-open-store-busy";
  std::filesystem::remove_all(dir);
  const std::string file = (dir / "pilot.db").string();
  open_store(file)->set_meta("committed", "1");
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::unique_ptr<Store> reader;
  ASSERT_NO_THROW(reader = open_store(file));
  EXPECT_EQ(reader->meta("committed").value_or("(none)"), "1");
  EXPECT_TRUE(reader->models("").empty());
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  reader.reset();
  std::filesystem::remove_all(dir);
}

// The meta keys another connection (another process's) reads from the store file, in order.
std::vector<std::string> meta_keys_seen_by_another_connection(const std::filesystem::path& file) {
  sqlite3* other = nullptr;
  std::vector<std::string> keys;
  if (sqlite3_open_v2(file.c_str(), &other, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK)
    sqlite3_exec(
        other, "SELECT key FROM meta WHERE key IN ('before', 'after', 'idle') ORDER BY key",
        [](void* out, int, char** values, char**) {
          static_cast<std::vector<std::string>*>(out)->push_back(values[0]);
          return 0;
        },
        &keys, nullptr);
  sqlite3_close(other);
  return keys;
}

// The -wal file deleted under a running store (a cleaner of temporary files): commits had gone
// on into the deleted file, which no other process sees and a kill -9 loses, acknowledged
// feedback and all. The next commit copies what the deleted log held into the store file and
// starts a new log, so another connection sees every commit, before and after.
TEST(OpenStore, SqliteCommitsSurviveTheirWriteAheadLogBeingDeleted) {
  auto dir = std::filesystem::temp_directory_path() / "tunecase-open-store-wal-deleted";
  std::filesystem::remove_all(dir);
  const auto file = dir / "pilot.db";
  auto store = open_store(file.string());
  store->set_meta("before", "1");
  ASSERT_TRUE(std::filesystem::exists(file.string() + "-wal"));
  std::filesystem::remove(file.string() + "-wal");
  store->set_meta("after", "2");

  EXPECT_EQ(meta_keys_seen_by_another_connection(file),
            (std::vector<std::string>{"after", "before"}));
  EXPECT_TRUE(std::filesystem::exists(file.string() + "-wal"));
  EXPECT_EQ(store->meta("before").value_or(""), "1");

  // An idle store (no next commit): check_files(), which the gateway calls every second, saves
  // what the deleted log holds.
  store->set_meta("idle", "3");
  std::filesystem::remove(file.string() + "-wal");
  store->check_files();
  EXPECT_EQ(meta_keys_seen_by_another_connection(file),
            (std::vector<std::string>{"after", "before", "idle"}));
  store.reset();
  std::filesystem::remove_all(dir);
}

// Bytes overwritten in the middle of a store (a bad disk, a copy cut short): refused when
// opened, named damaged with how to recover, not "not a store, pass a new file" (which invited
// starting over), and not opened to fail some commits for good while reports read on.
TEST(OpenStore, ADamagedSqliteStoreIsRefusedAsDamaged) {
  auto dir = std::filesystem::temp_directory_path() / "tunecase-open-store-damaged";
  std::filesystem::remove_all(dir);
  const auto file = dir / "pilot.db";
  {
    auto store = open_store(file.string());
    for (int i = 0; i < 200; ++i)
      store->set_meta("key-" + std::to_string(i), std::string(300, 'v'));
  }
  ASSERT_FALSE(std::filesystem::exists(file.string() + "-wal"));  // checkpointed at close
  const auto size = std::filesystem::file_size(file);
  ASSERT_GT(size, 16u * 4096);
  {
    std::fstream bytes(file, std::ios::in | std::ios::out | std::ios::binary);
    bytes.seekp(static_cast<std::streamoff>(size - 3 * 4096));  // inside a page of the meta table
    bytes << std::string(3000, '\xA5');
  }
  std::string message = open_error(file.string());
  EXPECT_NE(message.find("is damaged"), std::string::npos) << message;
  EXPECT_NE(message.find("restore it from a backup"), std::string::npos) << message;
  std::filesystem::remove_all(dir);
}

TEST(RedactUrl, HidesPasswordsInUserInfoAndParameters) {
  EXPECT_EQ(redact_url("postgresql://u:pw@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(redact_url("postgresql://u@h/db?password=pw&sslmode=require"),
            "postgresql://u@h/db?password=***&sslmode=require");
  EXPECT_EQ(redact_url("postgresql://h/db"), "postgresql://h/db");
  EXPECT_EQ(redact_url("postgresql://u:p@ss@h/db"), "postgresql://u:***@h/db");
  // Unencoded '/' and '?' in a password (a malformed URL, a real password all the same).
  EXPECT_EQ(redact_url("postgresql://u:ab/cdSECRET@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(redact_url("postgresql://u:ab?cdSECRET@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(redact_url("postgresql://u@h:5432/db"), "postgresql://u@h:5432/db");
  // A '&' in a password parameter: what follows without '=' is more of the password.
  EXPECT_EQ(redact_url("postgresql://u@h/db?password=abc&Hunter2Secret"),
            "postgresql://u@h/db?password=***");
  EXPECT_EQ(redact_url("postgresql://u@h/db?password=abc&Hunter2&sslmode=require"),
            "postgresql://u@h/db?password=***&sslmode=require");
}

// No piece of a password reaches a message: a URL whose password holds an unencoded '/', '?' or
// '#' is refused before libpq reads it (libpq quoted the pieces it took for a port or a
// parameter), and a quoted piece of libpq's own message that is part of a password is hidden.
TEST(RedactUrl, NoPieceOfAPasswordReachesTheMessages) {
  auto message_of = [](const std::string& url) {
    try {
      open_store(url);
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("(opened)");
  };
  std::string slash = message_of("postgresql://tc:s3cret/Tail?KeyPart99@127.0.0.1:1/tcdb");
  EXPECT_NE(slash.find("percent-encoded"), std::string::npos) << slash;
  for (const char* piece : {"s3cret", "Tail", "KeyPart99"})
    EXPECT_EQ(slash.find(piece), std::string::npos) << slash;
  EXPECT_TRUE(postgres_url_problem("postgresql://tc:a#b@h/db").has_value());
  EXPECT_FALSE(postgres_url_problem("postgresql://tc:a%2Fb@h/db?sslmode=require").has_value());
  EXPECT_FALSE(postgres_url_problem("postgresql://h/db?application_name=x@y").has_value());
  // Two '@' before the host: libpq reads the password's rest as the host.
  std::string two_at = message_of("postgresql://tc:p@ss@127.0.0.1:1/tcdb");
  EXPECT_NE(two_at.find("%40"), std::string::npos) << two_at;
  EXPECT_EQ(two_at.find("ss@"), std::string::npos) << two_at;
  // A one-letter password is not starred through libpq's own words.
  std::string short_pw = message_of("postgresql://tc:a@127.0.0.1:1/tcdb");
  EXPECT_NE(short_pw.find("127.0.0.1"), std::string::npos) << short_pw;
  EXPECT_EQ(short_pw.find("***t"), std::string::npos) << short_pw;
  std::string query = message_of("postgresql://tc@127.0.0.1:1/tcdb?password=abc&Hunter2Secret");
  EXPECT_EQ(query.find("Hunter2"), std::string::npos) << query;
  EXPECT_EQ(query.find("2Secret"), std::string::npos) << query;
}

}  // namespace
}  // namespace tunecase
