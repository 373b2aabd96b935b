#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <ostream>

#include <nlohmann/json.hpp>

#include "tunecase/config/config.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/runner/cache_location.h"

namespace tunecase {

struct OptimizeOptions {
  std::filesystem::path out_dir = "tunecase-optimize";
  int concurrency = 8;
  std::optional<double> max_cost_usd;         // caps the new spend of the whole run (search + test)
  std::optional<std::size_t> max_calls;       // caps the search's requests (overrides [optimize])
  bool assume_yes = false;                    // never ask before spending
  CacheChoice cache;                          // LLM response cache (default: the project's)
  std::optional<std::size_t> start_sample;    // overrides [optimize] start_sample
  std::optional<std::size_t> dev_limit;       // search on at most this many dev items (demo size)
  std::optional<std::size_t> max_candidates;  // keep the first N grid points (demo size)
  HttpClient* client = nullptr;  // null: the project's libcurl client (tests pass a recorder)
};

// `tunecase optimize`: prepares the data, runs successive halving over the [optimize] grid on
// the dev split, picks the winner by the stated rule, and only then scores the winner ONCE on
// the test split. Writes optimize.json, optimize.md, optimize.html, winner.toml and the shared
// outputs into options.out_dir; answers go to the shared response cache (cache_location.h), so
// a rerun, or an eval of the winner, pays nothing twice.
// Returns the optimize.json document.
nlohmann::json run_optimize(const ProjectConfig& config, const OptimizeOptions& options,
                            std::ostream& log);

}  // namespace tunecase
