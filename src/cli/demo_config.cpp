#include "demo_config.h"

#include <fmt/format.h>

#include "tunecase/config/table_reader.h"

namespace {

// The stand-in model is priced like a small commercial model so that its $ figures are of a
// realistic size; the price is an assumption written into the config for anyone to change.
constexpr const char* kLlmApproaches = R"(
[[approach]]
name = "sim-zero-shot"
kind = "openai"
base_url = "http://127.0.0.1:{port}/v1"
model = "sim-llm"
prompt = "zero_shot"
structured_output = true
price = {{ input = 0.15, cached_input = 0.075, output = 0.60 }}   # assumed: small-model list price
engineering_weeks = 0.5
time_to_ship_weeks = 1
# `tunecase finetune` trains from this approach's prompt; sim-llm runs the job (simulated) and
# the catalogue's gpt-4.1-mini fine-tuning rates price it.
finetune = {{ base_model = "gpt-4.1-mini-2025-04-14", epochs = 3, suffix = "tickets" }}

[[approach]]
name = "sim-few-shot"
kind = "openai"
base_url = "http://127.0.0.1:{port}/v1"
model = "sim-llm"
prompt = "few_shot"
shots = 16
structured_output = true
price = {{ input = 0.15, cached_input = 0.075, output = 0.60 }}
engineering_weeks = 1
time_to_ship_weeks = 2

[[approach]]
name = "sim-retrieval-few-shot"
kind = "openai"
base_url = "http://127.0.0.1:{port}/v1"
model = "sim-llm"
prompt = "retrieval_few_shot"
shots = 8
structured_output = true
price = {{ input = 0.15, cached_input = 0.075, output = 0.60 }}
engineering_weeks = 2
time_to_ship_weeks = 2
)";

constexpr const char* kLocalApproaches = R"(
[[approach]]
name = "local-linear"
kind = "linear"
hosting = { usd_per_hour = 0.10, instances = 1 }   # assumed: one small CPU instance
engineering_weeks = 3
retrain_every_months = 1
retrain_usd = 50
maintenance_weeks_per_month = 0.25
time_to_ship_weeks = 4

[[approach]]
name = "local-fasttext"
kind = "fasttext"
autotune_seconds = 10    # search hyper-parameters on dev for 10 s (default 60 s)
hosting = { usd_per_hour = 0.10, instances = 1 }
engineering_weeks = 3
retrain_every_months = 1
retrain_usd = 50
maintenance_weeks_per_month = 0.25
time_to_ship_weeks = 4

[[approach]]
name = "local-retrieval"
kind = "retrieval"
hosting = { usd_per_hour = 0.10, instances = 1 }
engineering_weeks = 2
maintenance_weeks_per_month = 0.1
time_to_ship_weeks = 3
)";

// A small search for the demo: the stand-in model, four strategies, two shot counts, two
// temperatures; and a learning curve of the local approaches.
constexpr const char* kOptimizeAndCurve = R"(
[optimize]
models = ["sim-zero-shot"]
strategies = ["zero_shot", "few_shot", "retrieval_few_shot", "chain_of_thought"]
shots = [4, 16]
temperatures = [0, 0.7]
structured_output = [true]
start_sample = 40
seed = 7

[curve]
sizes = [50, 100, 250, 500, 1000, 2500]
seeds = 3
approaches = ["local-linear", "local-retrieval"]
target_accuracy = 0.9
)";

constexpr const char* kOperate = R"toml(
[monitor]
accuracy_floor = 0.80            # assumed: the decision framework's floor
keep_texts = true                # the gateway keeps request texts: drift and retraining need them
# The demo's file has about 16 labelled tickets a day: too few for the interval rule, so the
# alert needs 5 days in a row below the floor, each with at least 10 labels.
min_labelled = 10
accuracy_rule = "consecutive"
consecutive_days = 5
min_drift_items = 100            # a week of the demo's tickets is about 110 texts
owner = "support ops (demo)"

[retrain]
policy = "triggered"             # a retrain within a week of an accuracy alert
within_days = 7
holdout_days = 7                 # the most recent labelled week judges a challenger
usd_per_retrain = 50             # assumed
owner = "ML engineering (demo)"
)toml";

constexpr const char* kBusiness = R"(
[business]
queries_per_day = 10000          # assumed: ticket volume
cost_per_error_usd = 1.50        # assumed: a misrouted ticket costs an agent's re-triage
engineer_usd_per_week = 4000     # assumed
horizon_months = 12
monitoring_usd_per_month = 200
baseline = "sim-zero-shot"
infra_expertise = true
task_stable_months = 6
data_sensitive = false
)";

}  // namespace

std::string demo_config_toml(int sim_port, const std::map<std::string, std::string>& labels) {
  std::string out =
      "# Written by `tunecase demo`. The sim-* approaches point at the offline stand-in the demo\n"
      "# started; to re-run them, start `tunecase sim-llm --port PORT` and fix base_url.\n\n"
      "[data]\npath = \"tickets.csv\"\ntext = \"text\"\nlabel = \"category\"\n"
      "time = \"created_at\"\nid = \"id\"\nsplit = \"stratified\"\ntest_fraction = 0.2\n"
      "dev_fraction = 0.1\nseed = 7\n\n"
      "[task]\ndescription = \"customer support tickets of a B2B SaaS product, by topic\"\n\n"
      "[labels]\n";
  for (const auto& [label, description] : labels) {
    out +=
        fmt::format("{} = {}\n", tunecase::toml_quoted(label), tunecase::toml_quoted(description));
  }
  out += fmt::format(fmt::runtime(kLlmApproaches), fmt::arg("port", sim_port));
  out += kLocalApproaches;
  out += kOptimizeAndCurve;
  out += kOperate;
  out += kBusiness;
  return out;
}
