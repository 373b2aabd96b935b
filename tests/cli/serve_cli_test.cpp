// `tunecase serve`, `feedback` and `pilot` as a user runs them: a real child process, killed
// with SIGKILL, restarted, every acknowledged feedback still there.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "../http/test_client.h"
#include "../serve/thread_nice.h"
#include "run_cli.h"
#include "tunecase/store/store.h"

namespace {

using tunecase::http::testing::Reply;
using tunecase::http::testing::TestClient;

// `tunecase serve` as a child process; its stdout and stderr go to files in `dir`.
class ServeProcess {
 public:
  ServeProcess(const std::filesystem::path& dir, const std::string& name,
               std::vector<std::string> args)
      : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> argv = {const_cast<char*>(TUNECASE_BIN), const_cast<char*>("serve")};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(TUNECASE_BIN, argv.data());
      _exit(127);
    }
    std::regex url("listening on http://127\\.0\\.0\\.1:([0-9]+)/");
    for (int i = 0; i < 400 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      std::smatch m;
      std::string text = read_file(out_);
      if (std::regex_search(text, m, url)) port_ = std::stoi(m[1]);
    }
  }
  ~ServeProcess() { signal_and_wait(SIGKILL); }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string stderr_text() const { return read_file(err_); }
  // Sends `sig` and returns the exit status (-1 when killed by a signal).
  int signal_and_wait(int sig) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
  int port_ = 0;
};

class ServeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = (dir_.path() / "tunecase.toml").string();
    std::ofstream(config_) << "[data]\npath = \"" << fixture("cli/tickets.csv")
                           << "\"\nlabel = \"category\"\n\n[[approach]]\nname = \"local-linear\"\n"
                              "kind = \"linear\"\n";
    CliResult eval = run_cli("eval --config " + config_ + " --out " + dir_.str() + "/out");
    ASSERT_EQ(eval.exit_code, 0) << eval.output;
  }
  std::vector<std::string> serve_args() {
    return {"--config", config_,  "--eval", dir_.str() + "/out", "--store",
            store(),    "--port", "0",      "--instance",        "cli-test"};
  }
  std::string store() const { return dir_.str() + "/pilot.db"; }

  TempDir dir_;
  std::string config_;
};

Reply post(int port, const std::string& path, const nlohmann::json& body) {
  TestClient client(port);
  return client.send("POST", path, body.dump());
}

TEST_F(ServeCli, EveryAcknowledgedFeedbackSurvivesAKillAndTheRestartReportsIt) {
  {
    ServeProcess serve(dir_.path(), "first", serve_args());
    ASSERT_GT(serve.port(), 0) << serve.stderr_text();
    for (int i = 0; i < 20; ++i) {
      std::string id = "K-" + std::to_string(i);
      ASSERT_EQ(
          post(serve.port(), "/v1/classify", {{"text", "the courier is late"}, {"id", id}}).status,
          200);
      Reply ack = post(serve.port(), "/v1/feedback", {{"id", id}, {"label", "shipping"}});
      ASSERT_EQ(ack.status, 200) << ack.body;
    }
    serve.signal_and_wait(SIGKILL);
  }
  ServeProcess again(dir_.path(), "second", serve_args());
  ASSERT_GT(again.port(), 0) << again.stderr_text();
  EXPECT_NE(again.stderr_text().find("stopped without flushing"), std::string::npos)
      << again.stderr_text();
  EXPECT_EQ(again.stderr_text().find("without --instance"), std::string::npos)
      << again.stderr_text();
  EXPECT_EQ(again.signal_and_wait(SIGTERM), 0);
  EXPECT_NE(again.stderr_text().find("tunecase serve stopped"), std::string::npos);

  CliResult pilot = run_cli("pilot --store " + store() + " --config " + config_ + " --json " +
                            dir_.str() + "/pilot.json");
  ASSERT_EQ(pilot.exit_code, 0) << pilot.output;
  nlohmann::json report = read_json(dir_.path() / "pilot.json");
  EXPECT_EQ(report["arms"][0]["labelled"], 20) << report.dump(2);
  EXPECT_NE(pilot.output.find("verdict"), std::string::npos) << pilot.output;
  // stdout alone (stderr dropped): the table without --json, the JSON alone with `--json -`.
  CliResult table =
      run_cli("pilot --store " + store() + " --config " + config_ + " 2>/dev/null | cat");
  EXPECT_NE(table.output.find("verdict"), std::string::npos) << table.output;
  EXPECT_EQ(table.output.find('{'), std::string::npos) << table.output;
  CliResult json =
      run_cli("pilot --store " + store() + " --config " + config_ + " --json - 2>/dev/null | cat");
  nlohmann::json piped = nlohmann::json::parse(json.output, nullptr, false);
  ASSERT_FALSE(piped.is_discarded()) << json.output;
  EXPECT_EQ(piped["arms"][0]["labelled"], 20);
}

// The prediction log's background writer runs in the idle scheduling class and the audit's
// backstop at nice +5, so that the event loops get a contended core first; every other thread
// keeps serve's class and priority.
TEST_F(ServeCli, OnlyTheLogWriterAndTheAuditBackstopRunAtALowerPriority) {
  ServeProcess serve(dir_.path(), "nice", serve_args());
  ASSERT_GT(serve.port(), 0) << serve.stderr_text();
  const int base = getpriority(PRIO_PROCESS, 0);  // what the child inherited
  if (base > 14) GTEST_SKIP() << "the tests run at nice " << base << ": no room below it";
  constexpr int kOther = 0, kIdle = 5;  // SCHED_OTHER, SCHED_IDLE
  const int backstop = base + 5;
  std::vector<int> nice, policy;
  for (int i = 0; i < 100; ++i) {  // each lowers its own priority as it starts
    nice = tunecase::testing::thread_nice_values(serve.pid());
    policy = tunecase::testing::thread_policies(serve.pid());
    if (std::count(policy.begin(), policy.end(), kIdle) >= 1 &&
        std::count(nice.begin(), nice.end(), backstop) >= 1)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(nice.size(), 4u);
  EXPECT_EQ(std::count(policy.begin(), policy.end(), kIdle), 1) << "the log's background writer";
  EXPECT_EQ(std::count(policy.begin(), policy.end(), kOther), static_cast<long>(policy.size()) - 1);
  EXPECT_EQ(std::count(nice.begin(), nice.end(), backstop), 1) << "the audit's backstop";
  EXPECT_EQ(std::count(nice.begin(), nice.end(), base), static_cast<long>(nice.size()) - 1);
  EXPECT_EQ(serve.signal_and_wait(SIGTERM), 0);
  EXPECT_NE(serve.stderr_text().find("the background writer in the idle scheduling class"),
            std::string::npos)
      << serve.stderr_text();
}

TEST_F(ServeCli, BatchFeedbackCountsRecordedUnchangedReplacedAndUnknown) {
  std::string b3_prediction;
  std::vector<std::string> reused;  // two tickets sent under one id: two items
  {
    ServeProcess serve(dir_.path(), "serve", serve_args());
    ASSERT_GT(serve.port(), 0) << serve.stderr_text();
    for (int i = 0; i < 4; ++i) {
      Reply reply = post(serve.port(), "/v1/classify",
                         {{"text", "reset link"}, {"id", "B-" + std::to_string(i)}});
      if (i == 3) b3_prediction = nlohmann::json::parse(reply.body)["prediction_id"];
    }
    for (const char* text : {"I was charged twice", "the parcel never came"})
      reused.push_back(
          nlohmann::json::parse(post(serve.port(), "/v1/classify", {{"text", text}, {"id", "R-1"}})
                                    .body)["prediction_id"]);
    post(serve.port(), "/v1/feedback", {{"id", "B-0"}, {"label", "login"}});
    post(serve.port(), "/v1/feedback", {{"id", "B-1"}, {"label", "login"}});
    EXPECT_EQ(serve.signal_and_wait(SIGTERM), 0);
  }
  std::ofstream(dir_.path() / "labels.csv") << "id,label\nB-0,login\nB-1,shipping\nB-2,login\n"
                                               "B-3,login\nnobody,login\n";
  CliResult r = run_cli("feedback --store " + store() + " " + dir_.str() + "/labels.csv");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("5 feedback rows: 2 recorded, 1 unchanged, 1 replaced, 1 unknown"),
            std::string::npos)
      << r.output;
  CliResult again = run_cli("feedback --store " + store() + " " + dir_.str() + "/labels.csv");
  EXPECT_NE(again.output.find("0 recorded, 4 unchanged, 0 replaced, 1 unknown"), std::string::npos)
      << again.output;
  EXPECT_NE(again.output.find("no logged prediction has the id 'nobody'"), std::string::npos)
      << again.output;
  // Rows a spreadsheet left with cleared cells are blank rows, not refusals of the whole file.
  std::ofstream(dir_.path() / "cleared.csv")
      << "id,label,note\r\nB-0,login,x\r\n,,\r\n , ,\r\n,\r\n";
  CliResult cleared = run_cli("feedback --store " + store() + " " + dir_.str() + "/cleared.csv");
  EXPECT_EQ(cleared.exit_code, 0) << cleared.output;
  EXPECT_NE(cleared.output.find("3 rows of empty cells skipped"), std::string::npos)
      << cleared.output;

  // A ticketing system's export: its own column names, semicolons.
  std::ofstream(dir_.path() / "export.csv") << "ticket_id;final_category;agent\n"
                                               "B-2;shipping;ann\nB-3;login;bob\n";
  CliResult unnamed = run_cli("feedback --store " + store() + " " + dir_.str() + "/export.csv");
  EXPECT_NE(unnamed.exit_code, 0);
  EXPECT_NE(unnamed.output.find("the header has no label column 'label'; its columns are "
                                "'ticket_id', 'final_category', 'agent'"),
            std::string::npos)
      << unnamed.output;
  CliResult named =
      run_cli("feedback --store " + store() +
              " --id-column ticket_id --label-column final_category " + dir_.str() + "/export.csv");
  ASSERT_EQ(named.exit_code, 0) << named.output;
  EXPECT_NE(named.output.find("2 feedback rows: 0 recorded, 1 unchanged, 1 replaced, 0 unknown"),
            std::string::npos)
      << named.output;

  // A JSONL row's "at" into a store that keeps the wall clock is refused, as the gateway refuses
  // it (it had been dropped without a word, the label dated today); into a replay's store it
  // dates the label and moves the store's replay clock on.
  std::ofstream(dir_.path() / "dated.jsonl")
      << R"({"id":"B-2","label":"shipping","at":"2030-03-08T12:00:00Z"})"
      << "\n";
  CliResult dated = run_cli("feedback --store " + store() + " " + dir_.str() + "/dated.jsonl");
  EXPECT_NE(dated.exit_code, 0) << dated.output;
  EXPECT_NE(dated.output.find("dated.jsonl:1: \"at\" dates a label of a replay, and this store "
                              "keeps the wall clock"),
            std::string::npos)
      << dated.output;
  {
    auto replay = tunecase::open_store(store());
    replay->set_meta("pilot.replay_clock_ms", "1893456000000");  // 2030-01-01
  }
  CliResult replayed = run_cli("feedback --store " + store() + " " + dir_.str() + "/dated.jsonl");
  ASSERT_EQ(replayed.exit_code, 0) << replayed.output;
  EXPECT_EQ(tunecase::open_store(store())->meta("pilot.replay_clock_ms"), "1899201600000")
      << "2030-03-08 12:00 UTC";
  // Every refused row is named at once, a leap past the replay clock among them.
  std::ofstream(dir_.path() / "mixed.jsonl")
      << R"({"id":"B-2","label":"shipping","at":"2035-01-01T00:00:00Z"})"
      << "\n"
      << R"({"id":"B-2","label":"shipping","at":0})"
      << "\n";
  CliResult mixed = run_cli("feedback --store " + store() + " " + dir_.str() + "/mixed.jsonl");
  EXPECT_NE(mixed.exit_code, 0) << mixed.output;
  EXPECT_NE(mixed.output.find("mixed.jsonl:1"), std::string::npos) << mixed.output;
  EXPECT_NE(mixed.output.find("days after the store's replay clock"), std::string::npos)
      << mixed.output;
  EXPECT_NE(mixed.output.find("mixed.jsonl:2"), std::string::npos) << mixed.output;
  {
    auto wall = tunecase::open_store(store());  // back to the wall clock for what follows
    wall->set_meta("pilot.replay_clock_ms", "");
  }

  // A NUL byte in a cell is refused with its line: PostgreSQL cuts text at it, so "B-2\0x" had
  // labelled B-2 there.
  std::ofstream(dir_.path() / "nul.csv") << std::string("id,label\nB-2\0x,login\n", 21);
  CliResult nul = run_cli("feedback --store " + store() + " " + dir_.str() + "/nul.csv");
  EXPECT_NE(nul.exit_code, 0) << nul.output;
  EXPECT_NE(nul.output.find("nul.csv:2: the row holds a NUL byte (in its id)"), std::string::npos)
      << nul.output;

  // An export that carries its label column twice (the category at creation and at close) is
  // refused, as eval refuses it: the first one had been read, and recorded, without a word.
  std::ofstream(dir_.path() / "twocats.csv") << "id,label,note,label\nB-2,billing,x,login\n";
  CliResult twocats = run_cli("feedback --store " + store() + " " + dir_.str() + "/twocats.csv");
  EXPECT_NE(twocats.exit_code, 0) << twocats.output;
  EXPECT_NE(twocats.output.find("twocats.csv:1: the header names two columns 'label' (columns 2 "
                                "and 4)"),
            std::string::npos)
      << twocats.output;

  // One id with two labels in one file: its last row is recorded, and said; the file run again
  // changes nothing (applied in order, the rows replaced each other on every run).
  std::ofstream(dir_.path() / "twice.csv") << "id,label\nB-3,shipping\nB-3,login\nB-2,shipping\n";
  for (int run = 0; run < 2; ++run) {
    CliResult twice = run_cli("feedback --store " + store() + " " + dir_.str() + "/twice.csv");
    ASSERT_EQ(twice.exit_code, 0) << twice.output;
    EXPECT_NE(twice.output.find("1 item is given more than one label in this file (by id or by "
                                "a prediction_id of it): 'B-3'"),
              std::string::npos)
        << twice.output;
    EXPECT_NE(twice.output.find("3 feedback rows: 0 recorded, 2 unchanged, 0 replaced, 0 unknown "
                                "ids, 1 left for a later row of the same id"),
              std::string::npos)
        << twice.output;
  }

  // Labels the gateway refuses on POST /v1/feedback are refused from a file too (the set serve
  // recorded in the store), not stored and counted as wrong answers; padded cells are trimmed.
  std::ofstream(dir_.path() / "slips.csv") << "id,label\nB-2, login \nB-3,LOGIN\n";
  CliResult slips = run_cli("feedback --store " + store() + " " + dir_.str() + "/slips.csv");
  EXPECT_NE(slips.exit_code, 0) << slips.output;
  EXPECT_NE(slips.output.find("slips.csv:3: label 'LOGIN' is not in the label set (did you mean "
                              "'login'? The same letters in another letter case"),
            std::string::npos)
      << slips.output;
  std::ofstream(dir_.path() / "padded.csv") << "id,label\nB-2, login \n";
  CliResult padded = run_cli("feedback --store " + store() + " " + dir_.str() + "/padded.csv");
  ASSERT_EQ(padded.exit_code, 0) << padded.output;
  EXPECT_NE(padded.output.find("1 feedback rows: 0 recorded, 0 unchanged, 1 replaced"),
            std::string::npos)
      << padded.output;
  // A new category on purpose: kept with --new-labels, and named.
  std::ofstream(dir_.path() / "new.csv") << "id,label\nB-3,warranty\n";
  CliResult fresh =
      run_cli("feedback --new-labels --store " + store() + " " + dir_.str() + "/new.csv");
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
  EXPECT_NE(fresh.output.find("1 label outside the served label set kept (--new-labels): "
                              "'warranty'"),
            std::string::npos)
      << fresh.output;
  // Only the new labels of the rows recorded are named (an item's earlier row is not recorded).
  std::ofstream(dir_.path() / "newer.csv") << "id,label\nB-3,returns\nB-3,warranty\n";
  CliResult newer =
      run_cli("feedback --new-labels --store " + store() + " " + dir_.str() + "/newer.csv");
  ASSERT_EQ(newer.exit_code, 0) << newer.output;
  EXPECT_NE(newer.output.find("1 label outside the served label set kept (--new-labels): "
                              "'warranty'"),
            std::string::npos)
      << newer.output;
  // A known label written otherwise is no new category: refused, nothing recorded (it had been
  // kept as one, and retrain would learn an invisible twin of the label).
  std::ofstream(dir_.path() / "twin.csv") << "id,label\nB-3,LOGIN\n";
  CliResult twin =
      run_cli("feedback --new-labels --store " + store() + " " + dir_.str() + "/twin.csv");
  EXPECT_EQ(twin.exit_code, 2) << twin.output;
  EXPECT_NE(twin.output.find("did you mean 'login'? The same letters in another letter case"),
            std::string::npos)
      << twin.output;
  EXPECT_NE(twin.output.find("nothing was recorded"), std::string::npos) << twin.output;
  // A folder for the file is said as such (it was "the file is empty").
  CliResult folder = run_cli("feedback --store " + store() + " " + dir_.str());
  EXPECT_EQ(folder.exit_code, 2) << folder.output;
  EXPECT_NE(folder.output.find("is a folder; give the feedback file"), std::string::npos)
      << folder.output;

  // A row that fills prediction_id and id is matched by its prediction_id, which names one
  // logged prediction (the id had won: a row whose two cells disagreed labelled B-2's).
  std::ofstream(dir_.path() / "both.csv") << "prediction_id,id,label\n"
                                          << b3_prediction << ",B-2,billing\n";
  CliResult both = run_cli("feedback --store " + store() + " " + dir_.str() + "/both.csv");
  ASSERT_EQ(both.exit_code, 0) << both.output;
  {
    auto check = tunecase::open_store(store());
    EXPECT_EQ(check->gold_label(b3_prediction).value_or(""), "billing");
  }
  // A prediction_id cell that is not one (a truncated copy) is refused at its line, as the
  // gateway refuses it, not counted as an unknown id; an uppercased copy is the same id.
  std::ofstream(dir_.path() / "cut.csv") << "prediction_id,label\nzz,refund\n";
  CliResult cut = run_cli("feedback --store " + store() + " " + dir_.str() + "/cut.csv");
  EXPECT_EQ(cut.exit_code, 2) << cut.output;
  EXPECT_NE(cut.output.find("cut.csv:2: prediction_id 'zz' is not a prediction id"),
            std::string::npos)
      << cut.output;
  std::string upper = b3_prediction;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::ofstream(dir_.path() / "upper.csv") << "prediction_id,label\n" << upper << ",shipping\n";
  CliResult upper_run = run_cli("feedback --store " + store() + " " + dir_.str() + "/upper.csv");
  ASSERT_EQ(upper_run.exit_code, 0) << upper_run.output;
  {
    auto check = tunecase::open_store(store());
    EXPECT_EQ(check->gold_label(b3_prediction).value_or(""), "shipping");
  }

  // A row by an item's id and a row by the prediction_id of its answer label one item: the last
  // is recorded and the two are named, and the file run again changes nothing (the label had
  // flipped on every run).
  std::ofstream(dir_.path() / "mixed.csv") << "prediction_id,id,label\n,B-3,login\n"
                                           << b3_prediction << ",,billing\n";
  for (int run = 0; run < 2; ++run) {
    CliResult mixed = run_cli("feedback --store " + store() + " " + dir_.str() + "/mixed.csv");
    ASSERT_EQ(mixed.exit_code, 0) << mixed.output;
    EXPECT_NE(mixed.output.find("given more than one label in this file (by id or by a "
                                "prediction_id of it): 'B-3'"),
              std::string::npos)
        << mixed.output;
    EXPECT_NE(mixed.output.find(run == 0 ? "2 feedback rows: 0 recorded, 0 unchanged, 1 replaced"
                                         : "2 feedback rows: 0 recorded, 1 unchanged, 0 replaced"),
              std::string::npos)
        << mixed.output;
  }

  // Two tickets under one reused id, each labelled by its own prediction_id: two items, both
  // recorded (one had been dropped as a duplicate of the other).
  std::ofstream(dir_.path() / "reused.csv") << "prediction_id,label\n"
                                            << reused[0] << ",billing\n"
                                            << reused[1] << ",shipping\n";
  CliResult two = run_cli("feedback --store " + store() + " " + dir_.str() + "/reused.csv");
  ASSERT_EQ(two.exit_code, 0) << two.output;
  EXPECT_NE(two.output.find("2 feedback rows: 2 recorded"), std::string::npos) << two.output;
  EXPECT_EQ(two.output.find("more than one label"), std::string::npos) << two.output;
  // A row by the reused id labels both of its tickets; a prediction_id row after it, one of
  // them: both apply, in file order, as the gateway applies them (the id row had been dropped).
  std::ofstream(dir_.path() / "reused-by-id.csv")
      << "id,prediction_id,label\nR-1,,billing\n," << reused[1] << ",login\n";
  CliResult mixed_ids =
      run_cli("feedback --store " + store() + " " + dir_.str() + "/reused-by-id.csv");
  ASSERT_EQ(mixed_ids.exit_code, 0) << mixed_ids.output;
  EXPECT_EQ(mixed_ids.output.find("more than one label"), std::string::npos) << mixed_ids.output;
  {
    auto check = tunecase::open_store(store());
    EXPECT_EQ(check->gold_label(reused[0]).value_or(""), "billing");
    EXPECT_EQ(check->gold_label(reused[1]).value_or(""), "login");
  }

  // A note that opens a quote and never closes it runs the rows up to the next quote together:
  // the row had been recorded with the first id and the last row's label, the rows between
  // lost, exit 0. Refused with the lines, nothing recorded.
  std::ofstream(dir_.path() / "stray.csv") << "id,note,label\nB-0,\"customer wrote: 5 stars,login\n"
                                              "B-1,ok,shipping\nB-2,\"escalated\",shipping\n";
  CliResult stray = run_cli("feedback --store " + store() + " " + dir_.str() + "/stray.csv");
  EXPECT_EQ(stray.exit_code, 2) << stray.output;
  EXPECT_NE(stray.output.find("stray.csv:2: a quoted field opened on this line closes only on "
                              "line 4"),
            std::string::npos)
      << stray.output;
  {
    auto check = tunecase::open_store(store());
    EXPECT_EQ(check->gold_label(b3_prediction).value_or(""), "billing");
  }

  // Every refused row is named at once (a file with many had taken a run per row).
  std::ofstream(dir_.path() / "several.csv") << "id,label\nB-0,BILING\nB-1,\n,login\nB-2,login\n";
  CliResult several = run_cli("feedback --store " + store() + " " + dir_.str() + "/several.csv");
  EXPECT_EQ(several.exit_code, 2) << several.output;
  for (const char* expected :
       {"3 rows refused, so nothing in the file was recorded",
        "several.csv:2: label 'BILING' is not in the label set (did you mean 'billing'?)",
        "several.csv:3: the row has no id", "several.csv:4: the row has no id"})
    EXPECT_NE(several.output.find(expected), std::string::npos) << expected << several.output;

  // Two new labels written alike are one category (--new-labels had kept both).
  std::ofstream(dir_.path() / "twins.csv")
      << "id,label\nB-0,warranty\nB-1,Warranty\nB-2,bug-report\nB-3,bug report\nB-3,LOGIN\n"
      << "B-0,sign\u2013in\nB-1,sign/in\n";
  CliResult twins =
      run_cli("feedback --new-labels --store " + store() + " " + dir_.str() + "/twins.csv");
  EXPECT_EQ(twins.exit_code, 2) << twins.output;
  // Every such row at once, separators as well as letter case (bug-report, bug report).
  for (const char* expected : {"4 of this file's labels are a label written otherwise",
                               "twins.csv:8: the new label 'sign/in' is the new label "
                               "'sign\u2013in' (line 7) written otherwise",
                               "twins.csv:3: the new label 'Warranty' is the new label "
                               "'warranty' (line 2) written otherwise",
                               "twins.csv:5: the new label 'bug report' is the new label "
                               "'bug-report' (line 4) written otherwise",
                               "twins.csv:6: label 'LOGIN' is not in the label set (did you mean "
                               "'login'?"})
    EXPECT_NE(twins.output.find(expected), std::string::npos) << expected << twins.output;

  // A file of ids the store has never seen is an error a script can see (it exited 0).
  std::ofstream(dir_.path() / "strangers.csv") << "id,label\nX-1,login\nX-2,login\n";
  CliResult strangers =
      run_cli("feedback --store " + store() + " " + dir_.str() + "/strangers.csv");
  EXPECT_EQ(strangers.exit_code, 2) << strangers.output;
  EXPECT_NE(strangers.output.find("has any of the file's 2 ids ('X-1', 'X-2'), so nothing was "
                                  "recorded"),
            std::string::npos)
      << strangers.output;

  // A JSON array is named as such, not "not valid JSON" at its first line.
  std::ofstream(dir_.path() / "array.json") << "[\n  {\"id\": \"B-0\", \"label\": \"login\"}\n]\n";
  CliResult array = run_cli("feedback --store " + store() + " " + dir_.str() + "/array.json");
  EXPECT_EQ(array.exit_code, 2) << array.output;
  EXPECT_NE(array.output.find("array.json:1: the file holds a JSON array"), std::string::npos)
      << array.output;
  // So is one object over several lines, and a header without rows is said.
  std::ofstream(dir_.path() / "pretty.json")
      << "{\n  \"id\": \"B-0\",\n  \"label\": \"login\"\n}\n";
  CliResult pretty = run_cli("feedback --store " + store() + " " + dir_.str() + "/pretty.json");
  EXPECT_EQ(pretty.exit_code, 2) << pretty.output;
  EXPECT_NE(pretty.output.find("pretty.json:1: the file holds JSON written over several lines"),
            std::string::npos)
      << pretty.output;
  std::ofstream(dir_.path() / "header.csv") << "id,label\n";
  CliResult header = run_cli("feedback --store " + store() + " " + dir_.str() + "/header.csv");
  EXPECT_EQ(header.exit_code, 0) << header.output;
  EXPECT_NE(header.output.find("holds no feedback rows under its header"), std::string::npos)
      << header.output;
}

// A team that served with --plan (or [pilot]) reads the report later with `tunecase pilot
// --store` alone, or with a config that has no [pilot]: the verdict is the pilot's, not a
// production report that leaves the challenger out.
TEST_F(ServeCli, PilotWithoutAPlanJudgesByThePlanServeRecorded) {
  std::string piloted = dir_.str() + "/piloted.toml";
  auto write_piloted = [&](const std::string& file, const std::string& mode) {
    std::ofstream(file) << read_file(config_)
                        << "\n[[approach]]\nname = \"linear-b\"\nkind = \"linear\"\n\n[pilot]\n"
                           "champion = \"local-linear\"\nchallenger = \"linear-b\"\nmode = \""
                        << mode << "\"\n";
  };
  write_piloted(piloted, "shadow");
  CliResult eval = run_cli("eval --config " + piloted + " --out " + dir_.str() + "/out2");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  {
    ServeProcess serve(
        dir_.path(), "serve",
        {"--config", piloted, "--eval", dir_.str() + "/out2", "--store", store(), "--port", "0"});
    ASSERT_GT(serve.port(), 0) << serve.stderr_text();
    // No --instance with --port 0: the shared default progress record is said at start.
    EXPECT_NE(serve.stderr_text().find("--port 0 without --instance"), std::string::npos)
        << serve.stderr_text();
    for (int i = 0; i < 6; ++i)
      ASSERT_EQ(post(serve.port(), "/v1/classify",
                     {{"text", "refund my order"}, {"id", "P-" + std::to_string(i)}})
                    .status,
                200);
    EXPECT_EQ(serve.signal_and_wait(SIGTERM), 0);
  }
  for (const std::string& config : {std::string(), " --config " + config_}) {
    std::string json = dir_.str() + "/recorded.json";
    CliResult r = run_cli("pilot --store " + store() + config + " --json " + json);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("shadow: local-linear vs linear-b, as `tunecase serve` recorded it"),
              std::string::npos)
        << r.output;
    nlohmann::json report = read_json(json);
    EXPECT_EQ(report["mode"], "shadow") << config;
    EXPECT_EQ(report["challenger"], "linear-b") << config;
    ASSERT_EQ(report["arms"].size(), 2u) << report.dump(2);
    EXPECT_EQ(report["arms"][1]["requests"], 6) << report.dump(2);
  }
  // A [pilot] given now is said to differ from what was served; a split over this shadow store
  // has no request on its challenger arm (the shadow answers are logged on arm shadow), so it is
  // refused rather than reported as "collecting: 0".
  std::string split = dir_.str() + "/split.toml";
  write_piloted(split, "split");
  CliResult r = run_cli("pilot --store " + store() + " --config " + split + " --json " +
                        dir_.str() + "/split.json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("last ran this store as 'shadow: local-linear vs linear-b'; this "
                          "report judges it as 'split: local-linear vs linear-b'"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("no request for an arm judged here"), std::string::npos) << r.output;
  // The roles swapped: no request of linear-b as champion; refused, not an all-zero report.
  std::string swapped = dir_.str() + "/swapped.toml";
  std::ofstream(swapped) << read_file(config_)
                         << "\n[[approach]]\nname = \"linear-b\"\nkind = \"linear\"\n\n[pilot]\n"
                            "champion = \"linear-b\"\nchallenger = \"local-linear\"\n"
                            "mode = \"shadow\"\n";
  CliResult refused = run_cli("pilot --store " + store() + " --config " + swapped);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("this store has no request for an arm judged here ('shadow: "
                                "linear-b vs local-linear'); `tunecase serve` ran it as 'shadow: "
                                "local-linear vs linear-b'"),
            std::string::npos)
      << refused.output;
  // Served so, the store's runs mix: the start says so.
  ServeProcess again(
      dir_.path(), "again",
      {"--config", split, "--eval", dir_.str() + "/out2", "--store", store(), "--port", "0"});
  ASSERT_GT(again.port(), 0) << again.stderr_text();
  EXPECT_NE(again.stderr_text().find("previous pilot ran as 'shadow: local-linear vs linear-b'; "
                                     "this start serves 'split: local-linear vs linear-b'"),
            std::string::npos)
      << again.stderr_text();
}

// Models trained on other data than [data] describes now (a label renamed in the file since eval)
// are served with a warning naming the difference: they had answered the old labels, judged
// against today's feedback, without a word.
TEST_F(ServeCli, ModelsTrainedOnOtherDataThanTheConfigsAreServedWithAWarning) {
  {
    ServeProcess same(dir_.path(), "same", serve_args());
    ASSERT_GT(same.port(), 0) << same.stderr_text();
    same.signal_and_wait(SIGTERM);
    EXPECT_EQ(same.stderr_text().find("trained its models on other data"), std::string::npos)
        << same.stderr_text();
  }
  std::filesystem::copy_file(fixture("cli/tickets.csv"), dir_.path() / "tickets.csv");
  std::ofstream(dir_.path() / "tickets.csv", std::ios::app) << "a new ticket,billing\n";
  std::string text = read_file(config_);
  text.replace(text.find(fixture("cli/tickets.csv")), fixture("cli/tickets.csv").size(),
               (dir_.path() / "tickets.csv").string());
  std::ofstream(config_) << text;
  ServeProcess other(dir_.path(), "other", serve_args());
  ASSERT_GT(other.port(), 0) << other.stderr_text();
  other.signal_and_wait(SIGTERM);
  EXPECT_NE(other.stderr_text().find("trained its models on other data than the config's [data] "
                                     "now ([data] path: the file does not hold the data"),
            std::string::npos)
      << other.stderr_text();
}

TEST_F(ServeCli, AMissingModelNamesTheApproachAndTheCommand) {
  CliResult r = run_cli("serve --config " + config_ + " --eval " + dir_.str() +
                        "/nowhere --port 0 --store " + store());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("local-linear"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tunecase eval --config"), std::string::npos) << r.output;
}

// A token variable that is set but empty, or only whitespace, is said to be so (an empty one had
// been called "not set", and one of spaces started a gateway no client could authenticate with).
TEST_F(ServeCli, AnEmptyOrBlankTokenVariableIsRefusedAsSuch) {
  for (const char* value : {"''", "'  '"}) {
    CliResult r =
        run_cli_with_env(std::string("TC_TEST_TOKEN=") + value + " ",
                         "serve --config " + config_ + " --eval " + dir_.str() +
                             " --port 0 --store " + store() + " --token-env TC_TEST_TOKEN");
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(std::string(value) == "''" ? "is empty" : "is only whitespace"),
              std::string::npos)
        << r.output;
  }
}

// A token is one run of visible ASCII: one with a space inside (curl sent it, the dashboard
// never could) is refused, naming where; a short one starts with a warning.
TEST_F(ServeCli, ATokenWithASpaceIsRefusedAndAShortOneWarned) {
  CliResult spaced =
      run_cli_with_env("TC_TEST_TOKEN='tok with space' ",
                       "serve --config " + config_ + " --eval " + dir_.str() +
                           " --port 0 --store " + store() + " --token-env TC_TEST_TOKEN");
  EXPECT_EQ(spaced.exit_code, 2) << spaced.output;
  EXPECT_NE(spaced.output.find("holds a space at character 4"), std::string::npos) << spaced.output;
  EXPECT_EQ(spaced.output.find("tok with space"), std::string::npos) << "the token was echoed";
}

// Bound beyond loopback without a token, serve says what is open, before anything else can stop
// it (here a store it cannot create); on loopback it does not.
TEST_F(ServeCli, ANetworkAddressWithoutATokenIsWarnedAbout) {
  for (const char* host : {"0.0.0.0", "'[::]'", "127.0.0.1", "'[::1]'"}) {
    CliResult r = run_cli("serve --config " + config_ + " --eval " + dir_.str() +
                          " --port 0 --host " + host + " --store /proc/no-such/store.db");
    EXPECT_EQ(r.exit_code, 2) << r.output;
    const bool loopback = std::string(host).find("1") != std::string::npos;
    EXPECT_EQ(r.output.find("without --token-env: anyone who can reach") == std::string::npos,
              loopback)
        << host << ": " << r.output;
  }
}

}  // namespace

namespace {

// Stopped while it reads its file (a FIFO that never delivers: the read blocks, as a large file
// takes time), `tunecase feedback` says how its rows are stored (in transactions, each whole or
// not at all) and to run it again; it had died without a word.
TEST(FeedbackCli, AStopSaysNothingWasHalfStoredAndToRunItAgain) {
  TempDir dir;
  const std::string store = (dir.path() / "s.db").string();
  { auto created = tunecase::open_store(store); }
  const std::filesystem::path fifo = dir.path() / "labels.csv", log = dir.path() / "fb.log";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    dup2(fileno(f), 1);
    dup2(fileno(f), 2);
    execl(TUNECASE_BIN, TUNECASE_BIN, "feedback", "--store", store.c_str(), fifo.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << read_file(log);
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM) << read_file(log);
  EXPECT_NE(read_file(log).find("each whole or not at all: those committed before the stop are "
                                "stored; run the same command again"),
            std::string::npos)
      << read_file(log);
}

}  // namespace
