#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tunecase/llm/sim_llm_finetune.h"

namespace tunecase {

// Defined in sim_llm_server.cpp, which keeps the HTTP server out of this header.
struct SimLlmServerState;

struct SimLlmOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = a free port, chosen at start()
  // Latency of an answered request: base + per output token + uniform jitter in [0, jitter).
  double latency_base_ms = 0, latency_per_token_ms = 0, latency_jitter_ms = 0;
  // Fractions of completion requests that fail: 429 (with Retry-After), 500, or no answer at all
  // (held until the client gives up). Drawn from `seed`.
  double rate_429 = 0, rate_500 = 0, rate_timeout = 0;
  double retry_after_s = 1;
  uint64_t seed = 1;
  int threads = 2;
  std::string require_key;      // when set: 401 unless the request carries this key
  SimFinetuneOptions finetune;  // the Files and Fine-tuning routes (sim_llm_finetune.h)
  // Called with the path and body of every request, before it is answered (from the server's
  // threads; keep it short and thread-safe). Tests use it to see exactly what reached the
  // endpoint (`sim-llm --record-bodies`): a stand-in may keep bodies, a real provider's audit
  // never does.
  std::function<void(const std::string& path, const std::string& body)> on_request;
};

// Counts at the server, so tests can tell how many requests were really made.
// `requests` counts every request to /v1/* (faulted, rejected and answered alike).
struct SimLlmStats {
  uint64_t requests = 0, completions = 0, rate_limited = 0, server_errors = 0, timeouts = 0,
           bad_requests = 0;
  uint64_t finetune_jobs = 0;  // fine-tuning jobs created
};

// The offline stand-in for an LLM API (`tunecase sim-llm`): the Chat Completions and Messages
// APIs on loopback, answered by a lexical in-context learner (sim_llm_learner.h). Its routes
// (sim_llm_routes.h) run on the shared asynchronous server (http/server.h): latency and held
// requests cost timers, not threads.
// Endpoints: POST /v1/chat/completions, POST /v1/messages, GET /v1/models, GET /sim/stats, and
// the Files and Fine-tuning routes of sim_llm_finetune.h.
// Every response carries the header `x-tunecase-simulated: 1`.
class SimLlmServer {
 public:
  explicit SimLlmServer(SimLlmOptions options);
  ~SimLlmServer();
  SimLlmServer(const SimLlmServer&) = delete;
  SimLlmServer& operator=(const SimLlmServer&) = delete;

  // Binds, starts serving on background threads and returns the port. Throws UserError when the
  // address cannot be bound.
  int start();
  // Stops serving and closes every connection (held requests included). Idempotent.
  void stop();
  SimLlmStats stats() const;

 private:
  std::unique_ptr<SimLlmServerState> state_;
};

}  // namespace tunecase
