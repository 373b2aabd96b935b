#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "tunecase/http/message.h"
#include "tunecase/http/server.h"
#include "tunecase/llm/sim_llm_api.h"
#include "tunecase/llm/sim_llm_server.h"

namespace tunecase {

// The routes of sim-llm, handed to an http::Server by SimLlmServer: POST /v1/chat/completions,
// POST /v1/messages, GET /v1/models, GET /sim/stats, and the fine-tuning routes (SimFinetune).
// Answers through the responder: at once, after the simulated latency (a timer, no thread held), or
// never (a simulated time-out: the request is held until the client gives up). Safe to call from
// several threads at once.
class SimLlmRoutes {
 public:
  // `server_stats` reports what the HTTP server answered by itself (413, 503), which counts in
  // sim-llm's figures too.
  SimLlmRoutes(SimLlmOptions options, std::function<http::ServerStats()> server_stats);

  void handle(const http::Request& request, const http::Responder& responder);
  // sim-llm's wording of the answers the server gives by itself: an OpenAI error object.
  http::Response error_page(int status, const std::string& message) const;
  SimLlmStats stats() const;

 private:
  // What to do with a request: answer now, answer after a delay, or hold it unanswered.
  struct Outcome {
    http::Response response;
    double delay_ms = 0;
    bool hold = false;
  };

  Outcome route(const http::Request& request);
  Outcome complete(const http::Request& request, SimApi api);
  bool injected_fault(uint64_t sequence, Outcome& outcome);

  SimLlmOptions options_;
  std::function<http::ServerStats()> server_stats_;
  SimFinetune finetune_;
  std::atomic<uint64_t> requests_{0}, completions_{0}, rate_limited_{0}, server_errors_{0},
      timeouts_{0}, bad_requests_{0}, sequence_{0};
};

}  // namespace tunecase
