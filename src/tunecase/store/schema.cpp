#include "tunecase/store/schema.h"

#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "tunecase/core/error.h"
#include "tunecase/store/rollup_sql.h"

namespace tunecase::store_detail {
namespace {

// An integer key the engine numbers itself.
const char* serial_key(Dialect dialect) {
  return dialect == Dialect::postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY";
}

// The three roll-up tables of one grain, with their `hour` index. The day grain (version 2)
// has the hour grain's columns; `extra` is what a later version adds to a table it creates.
std::vector<std::string> rollup_tables(std::string_view rows, std::string_view confusion,
                                       std::string_view segments, std::string_view extra) {
  return {
      fmt::format(R"(CREATE TABLE {} (
        approach TEXT NOT NULL, arm TEXT NOT NULL, hour BIGINT NOT NULL,
        requests BIGINT NOT NULL, errors BIGINT NOT NULL, fallbacks BIGINT NOT NULL,
        abstained BIGINT NOT NULL, simulated BIGINT NOT NULL,
        tokens_in BIGINT NOT NULL, tokens_out BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL, costed BIGINT NOT NULL,
        latency_sum DOUBLE PRECISION NOT NULL, upstream_sum DOUBLE PRECISION NOT NULL,
        first_ms BIGINT NOT NULL, last_ms BIGINT NOT NULL,
        latency_hist TEXT NOT NULL, upstream_hist TEXT NOT NULL,
        labelled BIGINT NOT NULL, correct BIGINT NOT NULL,
        abstained_labelled BIGINT NOT NULL, abstained_correct BIGINT NOT NULL,{}
        PRIMARY KEY (approach, arm, hour)))",
                  rows, extra),
      fmt::format("CREATE INDEX {0}_hour ON {0}(hour)", rows),
      fmt::format(R"(CREATE TABLE {} (
        approach TEXT NOT NULL, arm TEXT NOT NULL, hour BIGINT NOT NULL,
        gold TEXT NOT NULL, predicted TEXT NOT NULL, n BIGINT NOT NULL,
        PRIMARY KEY (approach, arm, hour, gold, predicted)))",
                  confusion),
      fmt::format("CREATE INDEX {0}_hour ON {0}(hour)", confusion),
      fmt::format(R"(CREATE TABLE {} (
        approach TEXT NOT NULL, arm TEXT NOT NULL, hour BIGINT NOT NULL, segment TEXT NOT NULL,
        labelled BIGINT NOT NULL, correct BIGINT NOT NULL,
        PRIMARY KEY (approach, arm, hour, segment)))",
                  segments),
      fmt::format("CREATE INDEX {0}_hour ON {0}(hour)", segments),
  };
}

// Version 1. Types are the subset both engines read alike (BIGINT, DOUBLE PRECISION, TEXT;
// flags as INTEGER 0/1). Roll-ups are per (approach, arm, UTC hour) and updated in the same
// transaction as the predictions and feedback they count.
std::vector<std::string> version_1(Dialect dialect) {
  const char* serial = serial_key(dialect);
  std::vector<std::string> out = {
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
      R"(CREATE TABLE predictions (
        prediction_id TEXT PRIMARY KEY, request_id TEXT NOT NULL, approach TEXT NOT NULL,
        arm TEXT NOT NULL, segment TEXT NOT NULL, label TEXT NOT NULL,
        confidence DOUBLE PRECISION, abstained INTEGER NOT NULL,
        latency_ms DOUBLE PRECISION NOT NULL, upstream_ms DOUBLE PRECISION NOT NULL,
        tokens_in BIGINT NOT NULL, tokens_out BIGINT NOT NULL, cost_usd DOUBLE PRECISION,
        error TEXT, fallback INTEGER NOT NULL, simulated INTEGER NOT NULL,
        text_hash TEXT NOT NULL, created_at BIGINT NOT NULL, model_version TEXT NOT NULL))",
      "CREATE INDEX predictions_request ON predictions(request_id)",
      "CREATE INDEX predictions_created ON predictions(created_at)",
      R"(CREATE TABLE feedback (
        prediction_id TEXT PRIMARY KEY REFERENCES predictions(prediction_id),
        request_id TEXT NOT NULL, text_hash TEXT NOT NULL, approach TEXT NOT NULL,
        created_at BIGINT NOT NULL, label TEXT NOT NULL, correct INTEGER NOT NULL,
        received_at BIGINT NOT NULL, updated_at BIGINT NOT NULL))",
      "CREATE INDEX feedback_approach ON feedback(approach, created_at)",
      "CREATE INDEX feedback_updated ON feedback(updated_at)",
      R"(CREATE TABLE models (
        approach TEXT NOT NULL, version TEXT NOT NULL, name TEXT NOT NULL,
        data_fingerprint TEXT NOT NULL, created_at BIGINT NOT NULL, metrics_json TEXT NOT NULL,
        status TEXT NOT NULL, promoted_at BIGINT, PRIMARY KEY (approach, version)))",
      "CREATE UNIQUE INDEX models_one_champion ON models(approach) WHERE status = 'champion'",
      fmt::format(R"(CREATE TABLE alerts (
        id {}, kind TEXT NOT NULL, approach TEXT NOT NULL, fired_at BIGINT NOT NULL,
        resolved_at BIGINT, message TEXT NOT NULL, details_json TEXT NOT NULL))",
                  serial),
      "CREATE UNIQUE INDEX alerts_one_open ON alerts(kind, approach) WHERE resolved_at IS NULL",
  };
  auto rollups = rollup_tables("rollup_hours", "rollup_confusion", "rollup_segments", /*extra=*/"");
  out.insert(out.end(), rollups.begin(), rollups.end());
  return out;
}

// Version 2: a day grain of every roll-up (a long window reads 24 times fewer rows) and the
// shadow pairs' McNemar cells per hour, both filled from the version-1 data; an index for
// finding an item's feedback rows; time-outs counted apart from other errors.
std::vector<std::string> version_2() {
  std::vector<std::string> out = {
      R"(CREATE TABLE rollup_pairs (
        approach_a TEXT NOT NULL, approach_b TEXT NOT NULL, hour BIGINT NOT NULL,
        both_right BIGINT NOT NULL, only_first BIGINT NOT NULL, only_second BIGINT NOT NULL,
        both_wrong BIGINT NOT NULL, PRIMARY KEY (approach_a, approach_b, hour)))",
      "CREATE INDEX feedback_request ON feedback(request_id)",
      "ALTER TABLE predictions ADD COLUMN timed_out INTEGER NOT NULL DEFAULT 0",
      "ALTER TABLE rollup_hours ADD COLUMN timeouts BIGINT NOT NULL DEFAULT 0",
  };
  auto days = rollup_tables("rollup_days", "rollup_day_confusion", "rollup_day_segments",
                            "\n        timeouts BIGINT NOT NULL,");
  out.insert(out.end(), days.begin(), days.end());
  return out;
}

// Version 3: request texts, kept only when the gateway is told to ([monitor] keep_texts), for
// the monitor's input-drift detectors. A table of its own, so a store that keeps none pays
// nothing and texts can be purged without touching the predictions.
std::vector<std::string> version_3() {
  return {
      R"(CREATE TABLE request_texts (
        prediction_id TEXT PRIMARY KEY REFERENCES predictions(prediction_id),
        created_at BIGINT NOT NULL, text TEXT NOT NULL))",
      "CREATE INDEX request_texts_created ON request_texts(created_at)",
  };
}

// Version 4: the audit of what left the machine (docs/privacy.md): one row per outbound request of
// a gateway replica, with the hash of its body and never the body.
std::vector<std::string> version_4(Dialect dialect) {
  const char* serial = serial_key(dialect);
  return {
      fmt::format(R"(CREATE TABLE audit_requests (
        id {}, instance TEXT NOT NULL, endpoint TEXT NOT NULL, local INTEGER NOT NULL,
        at_ms BIGINT NOT NULL, sha256 TEXT NOT NULL, bytes BIGINT NOT NULL,
        redacted_json TEXT NOT NULL))",
                  serial),
      "CREATE INDEX audit_requests_at ON audit_requests(at_ms)",
  };
}

// Version 5: the registry knows where a model's files are (so `serve` can load a promoted version
// without a restart) and who or what promoted it.
std::vector<std::string> version_5() {
  return {
      "ALTER TABLE models ADD COLUMN path TEXT NOT NULL DEFAULT ''",
      "ALTER TABLE models ADD COLUMN promoted_by TEXT NOT NULL DEFAULT ''",
  };
}

// Version 6: the registry's history: every registration and status change, oldest first, so a
// review can see every promotion and rollback, not only each version's last. Filled from what
// version 5 knew: each version's registration and its last promotion.
std::vector<std::string> version_6(Dialect dialect) {
  const char* serial = serial_key(dialect);
  return {
      fmt::format(R"(CREATE TABLE model_events (
        id {}, approach TEXT NOT NULL, version TEXT NOT NULL, event TEXT NOT NULL,
        at_ms BIGINT NOT NULL, by_whom TEXT NOT NULL))",
                  serial),
      "CREATE INDEX model_events_approach ON model_events(approach, at_ms)",
      "INSERT INTO model_events(approach, version, event, at_ms, by_whom) "
      "SELECT approach, version, 'registered', created_at, '' FROM models "
      "ORDER BY created_at, approach, version",
      "INSERT INTO model_events(approach, version, event, at_ms, by_whom) "
      "SELECT approach, version, 'champion', promoted_at, promoted_by FROM models "
      "WHERE promoted_at IS NOT NULL ORDER BY promoted_at, approach, version",
  };
}

// Version 7: which answers came from the LLM response cache (no upstream call, $0), so the
// pilot report can say how much of an arm's latency and cost the cache made.
std::vector<std::string> version_7() {
  return {
      "ALTER TABLE predictions ADD COLUMN cached INTEGER NOT NULL DEFAULT 0",
      "ALTER TABLE rollup_hours ADD COLUMN cached BIGINT NOT NULL DEFAULT 0",
      "ALTER TABLE rollup_days ADD COLUMN cached BIGINT NOT NULL DEFAULT 0",
  };
}

// Version 8 (SQLite only): predictions are found by request id through sorted runs
// (request_runs.h) instead of an index whose every insert wrote a random page. The existing
// predictions are the runs' tail until the store's first steps sort them in.
std::vector<std::string> version_8(Dialect dialect) {
  if (dialect == Dialect::postgres) return {};
  return {
      R"(CREATE TABLE request_runs (
        run INTEGER NOT NULL, key INTEGER NOT NULL, prediction_rowid INTEGER NOT NULL,
        PRIMARY KEY (run, key, prediction_rowid)) WITHOUT ROWID)",
      R"(CREATE TABLE request_run_meta (
        run INTEGER PRIMARY KEY, level INTEGER NOT NULL, entries INTEGER NOT NULL,
        state TEXT NOT NULL))",
      R"(CREATE TABLE request_run_merge (
        target INTEGER NOT NULL, source INTEGER NOT NULL, next_key INTEGER NOT NULL,
        next_rowid INTEGER NOT NULL, done INTEGER NOT NULL, PRIMARY KEY (target, source)))",
      "DROP INDEX predictions_request",
  };
}

// Version 9 (SQLite only): a request run is stored as blocks of packed entries, not a row per
// entry (request_runs.h). The runs are rebuilt: every prediction is the tail again until the
// store's first steps sort it in.
std::vector<std::string> version_9(Dialect dialect) {
  if (dialect == Dialect::postgres) return {};
  return {
      "DROP TABLE request_runs",
      "DROP TABLE request_run_merge",
      "DELETE FROM request_run_meta",
      "DELETE FROM meta WHERE key = 'request_runs_upto'",
      R"(CREATE TABLE request_run_blocks (
        run INTEGER NOT NULL, block INTEGER NOT NULL, first_key INTEGER NOT NULL,
        entries BLOB NOT NULL, PRIMARY KEY (run, block)))",
      "CREATE INDEX request_run_blocks_key ON request_run_blocks(run, first_key, block)",
      R"(CREATE TABLE request_run_merge (
        target INTEGER NOT NULL, source INTEGER NOT NULL, next_block INTEGER NOT NULL,
        next_offset INTEGER NOT NULL, done INTEGER NOT NULL, PRIMARY KEY (target, source)))",
  };
}

// Version 10: failed requests that carried a cost (an answer naming no label, a fallback's
// champion call), so that answers without token usage are counted once: requests - errors -
// (costed - costed_errors). The roll-ups are filled from the predictions the store still holds.
std::vector<std::string> version_10() {
  std::vector<std::string> out;
  // Both grains key a row by an hour: the day's first, in rollup_days.
  for (const auto& [table, unit, hours] :
       {std::tuple{"rollup_hours", "3600000", "1"}, std::tuple{"rollup_days", "86400000", "24"}}) {
    out.push_back(
        fmt::format("ALTER TABLE {} ADD COLUMN costed_errors BIGINT NOT NULL DEFAULT 0", table));
    // Floor division, as the roll-ups bucket times before 1970.
    out.push_back(fmt::format(
        R"(UPDATE {0} SET costed_errors = c.n FROM (
          SELECT approach, arm,
            ((created_at - CASE WHEN created_at < 0 THEN {1} - 1 ELSE 0 END) / {1}) * {2}
              AS bucket,
            COUNT(*) AS n
          FROM predictions WHERE error IS NOT NULL AND cost_usd IS NOT NULL
          GROUP BY approach, arm, bucket) AS c
        WHERE {0}.approach = c.approach AND {0}.arm = c.arm AND {0}.hour = c.bucket)",
        table, unit, hours));
  }
  return out;
}

// Version 11: requests that reached the provider with no usage to price them (a time-out, a 2xx
// cut off or unreadable, a resent copy), on each prediction and in both roll-up grains. Their
// cost is unknown, never $0. Nothing to fill: earlier versions did not record them.
std::vector<std::string> version_11() {
  return {"ALTER TABLE predictions ADD COLUMN unpriced_attempts INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE rollup_hours ADD COLUMN unpriced_attempts BIGINT NOT NULL DEFAULT 0",
          "ALTER TABLE rollup_days ADD COLUMN unpriced_attempts BIGINT NOT NULL DEFAULT 0"};
}

// Version 12: the shadow pairs' McNemar cells per request segment and hour, so that a shadow
// pilot's per-segment difference is judged paired (it had been judged as two independent
// samples, and missed a segment the pairs showed worse). Filled from the store's feedback.
std::vector<std::string> version_12() {
  return {R"(CREATE TABLE rollup_pair_segments (
        approach_a TEXT NOT NULL, approach_b TEXT NOT NULL, hour BIGINT NOT NULL,
        segment TEXT NOT NULL, both_right BIGINT NOT NULL, only_first BIGINT NOT NULL,
        only_second BIGINT NOT NULL, both_wrong BIGINT NOT NULL,
        PRIMARY KEY (approach_a, approach_b, hour, segment)))"};
}

using Migration = std::function<void(SqlSession&)>;

// migrations()[v - 1] moves a store from version v - 1 to v.
std::vector<Migration> migrations(Dialect dialect) {
  auto run = [](std::vector<std::string> statements) {
    return [statements = std::move(statements)](SqlSession& s) {
      for (const std::string& sql : statements) s.exec(sql, {});
    };
  };
  // Version 2's day and pair roll-ups are filled from the hour roll-ups after the last step
  // (migrate_schema), when every later column they write exists.
  return {run(version_1(dialect)), run(version_2()),        run(version_3()),
          run(version_4(dialect)), run(version_5()),        run(version_6(dialect)),
          run(version_7()),        run(version_8(dialect)), run(version_9(dialect)),
          run(version_10()),       run(version_11()),       run(version_12())};
}

// What to do when --store names another application's tables.
constexpr const char* kOwnStore =
    "Point --store at a store of tunecase's own: a new file, or an empty PostgreSQL database (or "
    "a schema of its own on the user's search_path)";

// Runs `step` on the store's tables; a SQL failure there (a table of the same name already
// there, or one without the columns tunecase reads or a step alters) means the tables are another
// application's, or a store edited by hand: refused as such, saying `what` was tried. The
// transaction rolls back, so nothing is changed.
template <class Step>
void refuse_if_foreign(const std::string& store, const std::string& what, const Step& step) {
  try {
    step();
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {
    throw UserError(fmt::format(
        "{} holds tables that are not a tunecase store's{} ({}). Nothing was changed. {}", store,
        what, e.what(), kOwnStore));
  }
}

// Whether the store's schema (PostgreSQL: the current schema) has a table called `name`.
bool has_table(SqlSession& s, Dialect dialect, const std::string& name) {
  return !s.query(dialect == Dialect::postgres
                      ? "SELECT 1 FROM pg_tables WHERE tablename = $1 AND schemaname = "
                        "current_schema()"
                      : "SELECT 1 FROM sqlite_master WHERE name = $1",
                  {name})
              .empty();
}

// The version row, which the first migration writes: a table without exactly one whole number
// in it was edited or damaged, and running the migrations again from 0 over the tables it has
// ("table meta already exists") would say nothing of that.
int read_version(SqlSession& s, const std::string& store) {
  SqlRows rows;
  // No `version` column: another application's table of that name.
  refuse_if_foreign(store, ": its schema_version table cannot be read as tunecase's",
                    [&] { rows = s.query("SELECT version FROM schema_version", {}); });
  const int64_t* number = rows.size() == 1 ? std::get_if<int64_t>(&rows[0][0]) : nullptr;
  if (number == nullptr || *number < 0)
    throw UserError(fmt::format(
        "the store {} is damaged or another application's: its schema_version table holds {} "
        "where one whole number belongs (the file was edited or damaged, or the table is "
        "another tool's of the same name, as Flyway's); nothing was changed. Point --store at "
        "a store of tunecase's own, or restore this one from a backup",
        store, rows.empty() ? std::string("no row") : fmt::format("{} row(s)", rows.size())));
  return static_cast<int>(*number);
}

}  // namespace

int migrate_schema(SqlDatabase& db) {
  static_assert(kSchemaVersion == 12, "add the new version's statements to migrations()");
  int version = 0;
  // The checks of a store's tables, in a read (a store at the current version) or in the
  // migration's write transaction.
  auto check = [&](SqlSession& s) {
    version = read_version(s, db.describe());
    // Every tunecase store from version 1 on has its meta table: a schema_version without one
    // is another application's table of that name (its number would have been taken for ours,
    // and a migration or a "newer tunecase" message followed).
    if (version >= 1 && !has_table(s, db.dialect(), "meta")) {
      throw UserError(fmt::format(
          "{} holds a schema_version table that is not a tunecase store's (it has no meta "
          "table beside it: another application's table of that name). Nothing was changed. "
          "{}",
          db.describe(), kOwnStore));
    }
    // The tables every store has since version 1, with the columns tunecase reads: another
    // application's meta (or a store edited by hand) at the current version, where no migration
    // step runs to find out, had failed later with an internal error.
    if (version >= 1) {
      refuse_if_foreign(db.describe(), fmt::format(" at its schema version {}", version), [&] {
        for (const char* probe :
             {"SELECT key, value FROM meta WHERE 1 = 0",
              "SELECT prediction_id, request_id, created_at FROM predictions WHERE 1 = 0",
              "SELECT prediction_id, label FROM feedback WHERE 1 = 0",
              "SELECT approach, version, status FROM models WHERE 1 = 0"})
          s.query(probe, {});
        // At the current version no migration step runs to find out: every table it has, with
        // the columns added last (another application's tables of the same names had passed
        // the probes above, and serve wrote its meta rows into them before failing).
        if (version == kSchemaVersion)
          for (const char* probe :
               {"SELECT name, data_fingerprint, promoted_at, path, promoted_by FROM models "
                "WHERE 1 = 0",
                "SELECT approach, model_version, timed_out, cached, text_hash, unpriced_attempts "
                "FROM predictions WHERE 1 = 0",
                "SELECT unpriced_attempts, costed_errors, cached, timeouts FROM rollup_hours "
                "WHERE 1 = 0",
                "SELECT unpriced_attempts, costed_errors, cached FROM rollup_days WHERE 1 = 0",
                "SELECT * FROM rollup_pairs WHERE 1 = 0",
                "SELECT * FROM rollup_pair_segments WHERE 1 = 0",
                "SELECT * FROM alerts WHERE 1 = 0", "SELECT * FROM request_texts WHERE 1 = 0",
                "SELECT * FROM audit_requests WHERE 1 = 0",
                "SELECT * FROM model_events WHERE 1 = 0"})
            s.query(probe, {});
      });
    }
    if (version > kSchemaVersion) {
      throw UserError(fmt::format(
          "the store {} has schema version {}, written by a newer tunecase; this binary knows "
          "versions up to {}. Upgrade tunecase, or point --store at another store.",
          db.describe(), version, kSchemaVersion));
    }
  };
  // A store at the current version is checked in a read: a command that only reads it (pilot,
  // models) then waits for no writer, and on SQLite's WAL reads while another process holds a
  // write transaction (its migration's write had waited 5 s for that lock, then failed).
  bool current = false;
  try {
    db.read([&](SqlSession& s) {
      if (!has_table(s, db.dialect(), "schema_version")) return;
      check(s);
      current = version == kSchemaVersion;
    });
  } catch (const UserError&) {
    // Said again by the migration below, which also leaves a refused file as it was.
    current = false;
  }
  if (current) return version;
  db.migrate([&](SqlSession& s) {
    // CREATE TABLE IF NOT EXISTS would do, but PostgreSQL reports a notice for it.
    if (!has_table(s, db.dialect(), "schema_version")) {
      s.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)", {});
      s.exec("INSERT INTO schema_version(version) VALUES (0)", {});
    }
    check(s);
    auto steps = migrations(db.dialect());
    bool fill_day_and_pair_rollups = version == 1;  // a version-1 store has hour rows to fill from
    bool fill_pair_segments = version >= 1 && version < 12;  // a store with feedback to fill from
    for (; version < kSchemaVersion; ++version) {
      refuse_if_foreign(
          db.describe(),
          fmt::format(": bringing it from schema version {} to {} failed", version, version + 1),
          [&] { steps[static_cast<std::size_t>(version)](s); });
      s.exec("UPDATE schema_version SET version = $1", {int64_t{version + 1}});
    }
    if (fill_day_and_pair_rollups) backfill_day_and_pair_rollups(s);
    if (fill_pair_segments) backfill_pair_segments(s);
  });
  return version;
}

}  // namespace tunecase::store_detail
