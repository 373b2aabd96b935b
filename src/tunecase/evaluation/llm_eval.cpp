#include "tunecase/evaluation/llm_eval.h"

#include "tunecase/llm/http_client.h"
#include "tunecase/runner/llm_runner.h"

namespace tunecase {

LlmEvalRun run_llm_eval(const ApproachConfig& approach, const ProjectConfig& config,
                        const Examples& train, const Examples& test,
                        const std::vector<std::string>& labels, const EvalOptions& options,
                        std::optional<double> budget_left_usd, CommandSpendGate& spend,
                        std::ostream& log) {
  LlmRunOptions run;
  run.concurrency = options.concurrency;
  run.max_cost_usd = budget_left_usd;
  spend.prepare(run);  // assume_yes, and the threshold left of the command's
  run.cache_file = resolve_cache_file(options.cache, config.file);
  run.out_dir = options.out_dir;
  run.progress = options.progress;
  run.order_seed = config.data.seed;  // a run the budget stops has scored a random sample
  std::unique_ptr<HttpClient> client = make_http_client();
  LlmRunResult result = run_llm_approach(approach, config, train, test, labels, run, *client, log);

  LlmEvalRun out;
  out.predictions = std::move(result.predictions);
  out.simulated = result.simulated;
  out.spent_usd = result.spent_usd;
  out.stopped_by_budget = result.stopped_by_budget;
  out.invalid_samples = std::move(result.invalid_samples);
  out.summary = std::move(result.summary);
  return out;
}

}  // namespace tunecase
