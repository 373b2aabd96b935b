// Commands that only read a store, pointed at a PostgreSQL database that holds none: they say so
// and leave the database as it was (they created the whole schema in a mistyped database).

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "../store/postgres_server.h"
#include "run_cli.h"
#include "tunecase/store/store.h"

namespace {

int tables_in(const std::string& url) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  return tx
      .exec(
          "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
          "current_schema()")[0][0]
      .as<int>();
}

TEST(PostgresStoreCli, ReadingCommandsRefuseADatabaseWithoutAStoreAndCreateNothing) {
  auto* server = tunecase::testing::PostgresServer::get();
  if (!server) GTEST_SKIP() << tunecase::testing::PostgresServer::why_not();
  std::string url = server->new_database();
  for (const std::string command : {"pilot", "models", "audit"}) {
    CliResult r = run_cli(command + " --store '" + url + "'");
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.output;
    EXPECT_NE(r.output.find("holds no tunecase store"), std::string::npos) << r.output;
  }
  EXPECT_EQ(tables_in(url), 0);
  tunecase::open_store(url);  // as serve opens it: the schema is created
  CliResult r = run_cli("pilot --store '" + url + "'");
  EXPECT_EQ(r.output.find("holds no tunecase store"), std::string::npos) << r.output;
  EXPECT_GT(tables_in(url), 0);
}

}  // namespace
