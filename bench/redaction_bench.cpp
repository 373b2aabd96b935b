// What redaction adds to an evaluation's CPU time (docs/privacy.md, docs/benchmarks.md).
//
// Each iteration does the client-side work of one LLM evaluation item, as the runner does it:
// render the prompt (few-shot, 8 examples in the system message), build the provider's request
// body, read a canned Chat Completions answer and parse its label. BM_EvalItem/0 runs it with
// [privacy] off, BM_EvalItem/1 with every built-in detector and a custom pattern on; the second
// argument says which tickets and examples carry generated personal data (pii_generator.h): all
// of them (/1, the worst case: the redactor has real work in every request) or one in five (/5).
// The HTTP transfer itself (libcurl, the socket, the server) is left out, which makes the baseline
// smaller than a real evaluation's CPU and the printed ratio an upper bound.
//
//   cmake -S . -B build -DTUNECASE_BENCH=ON && cmake --build build --target redaction_bench
//   build/bench/redaction_bench --benchmark_repetitions=5
//
// The last lines print redacted / baseline CPU time of the same run for each share of tickets with
// personal data (figures: docs/benchmarks.md).

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>

#include "tunecase/config/approach_settings.h"
#include "tunecase/llm/llm_approach.h"
#include "tunecase/privacy/pii_generator.h"

namespace {

using namespace tunecase;

const std::vector<std::string> kLabels = {"billing", "shipping", "technical", "account"};

// Every `pii_every`-th ticket carries generated personal data (and numbers that are not: order
// numbers, dates, versions); the others a sentence of about the same length without any.
Examples tickets(std::size_t n, uint64_t seed, std::size_t pii_every) {
  const std::vector<std::string> topics = {"refund for my invoice please",
                                           "parcel delivery is late again",
                                           "the app crashes on start", "cannot change my password"};
  const std::string plain =
      "Hello, I tried again this morning and it still does not work as it should, so please "
      "have a look as soon as you can and tell me what to do next. Thanks";
  auto pii = generate_pii_tickets(n, seed);
  Examples out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(Example{"", topics[i % 4] + ". " + (i % pii_every == 0 ? pii[i].text : plain),
                          kLabels[i % 4], "", 0});
  return out;
}

std::string canned_answer() {
  return nlohmann::json{
      {"id", "x"},
      {"object", "chat.completion"},
      {"choices",
       {{{"index", 0},
         {"message", {{"role", "assistant"}, {"content", "billing"}}},
         {"finish_reason", "stop"}}}},
      {"usage", {{"prompt_tokens", 900}, {"completion_tokens", 2}, {"total_tokens", 902}}}}
      .dump();
}

void BM_EvalItem(benchmark::State& state) {
  ProjectConfig project;
  if (state.range(0) == 1)
    project.privacy.rules =
        RedactionRules{builtin_pii_kinds(), {CustomPattern("employee_id", "EMP-######")}};
  ApproachConfig a = approach_from_json({{"name", "bench"},
                                         {"kind", "openai"},
                                         {"base_url", "http://127.0.0.1:9/v1"},
                                         {"api_key_env", ""},
                                         {"model", "gpt-4o-mini"},
                                         {"prompt", "few_shot"},
                                         {"shots", 8}},
                                        "bench.toml");
  auto every = static_cast<std::size_t>(state.range(1));
  Examples train = tickets(400, 1, every), test = tickets(1000, 2, every);
  LlmApproach approach(a, project, train, kLabels);
  HttpResponse response;
  response.status = 200;
  response.body = canned_answer();
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    HttpRequest request = approach.request(test[i++ % test.size()].text);
    bytes += request.body.size();
    ParsedLabel label = approach.read(approach.provider().parse_response(response));
    benchmark::DoNotOptimize(label);
  }
  state.counters["body_bytes"] =
      benchmark::Counter(static_cast<double>(bytes) / static_cast<double>(state.iterations()));
}
// {redaction off/on, every n-th ticket and example with personal data}: 1 = all of them (the
// worst case), 5 = one in five.
BENCHMARK(BM_EvalItem)->Args({0, 1})->Args({1, 1})->Args({0, 5})->Args({1, 5});

// Remembers the CPU time per iteration of each run to print the ratio at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Iteration || r.aggregate_name == "median")
        cpu_[r.run_name.str()] = r.GetAdjustedCPUTime();
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (auto [every, share] : {std::pair{"1", "every ticket"}, std::pair{"5", "1 ticket in 5"}}) {
      auto base = cpu_.find(std::string("BM_EvalItem/0/") + every);
      auto redacted = cpu_.find(std::string("BM_EvalItem/1/") + every);
      if (base == cpu_.end() || redacted == cpu_.end() || base->second <= 0) continue;
      std::printf(
          "personal data in %s: redaction CPU ratio (redacted / baseline, same run) %.3f "
          "(+%.1f%%, +%.2f us per item)\n",
          share, redacted->second / base->second, 100.0 * (redacted->second / base->second - 1.0),
          (redacted->second - base->second) / 1000.0);
    }
  }

 private:
  std::map<std::string, double> cpu_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
