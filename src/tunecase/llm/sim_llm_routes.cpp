#include "tunecase/llm/sim_llm_routes.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tunecase/core/hash.h"

namespace tunecase {
namespace {

// Chat requests larger than this are refused (413); only training files may be larger.
constexpr std::size_t kMaxChatBody = 1 << 20;

// SplitMix64: a well-mixed 64-bit value from a counter, so every draw is reproducible from the
// seed and the request's sequence number.
uint64_t splitmix64(uint64_t x) {
  return mix64(x + 0x9E3779B97F4A7C15ULL);
}

double unit(uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

http::Response json_response(int status, const nlohmann::json& body) {
  http::Response response = http::Response::json(status, body.dump());
  response.headers.set("x-tunecase-simulated", "1");
  return response;
}

http::Response error_response(int status, const std::string& message, const std::string& type,
                              const std::string& code) {
  return json_response(status, error_body(message, type, code));
}

bool key_matches(const http::Request& request, const std::string& key) {
  return request.headers.get("authorization") == "Bearer " + key ||
         request.headers.get("x-api-key") == key;
}

nlohmann::json models_json() {
  return {{"object", "list"},
          {"data",
           {{{"id", "sim-llm"},
             {"object", "model"},
             {"created", 0},
             {"owned_by", "tunecase-sim-llm"}}}}};
}

nlohmann::json stats_json(const SimLlmStats& s) {
  return {{"requests", s.requests},           {"completions", s.completions},
          {"rate_limited", s.rate_limited},   {"server_errors", s.server_errors},
          {"timeouts", s.timeouts},           {"bad_requests", s.bad_requests},
          {"finetune_jobs", s.finetune_jobs}, {"simulated", true}};
}

}  // namespace

SimLlmRoutes::SimLlmRoutes(SimLlmOptions options, std::function<http::ServerStats()> server_stats)
    : options_(std::move(options)),
      server_stats_(std::move(server_stats)),
      finetune_(options_.finetune) {}

void SimLlmRoutes::handle(const http::Request& request, const http::Responder& responder) {
  if (options_.on_request) options_.on_request(request.path, request.body);
  Outcome outcome = route(request);
  if (outcome.hold) return;  // never answered: the client's time-out ends it
  if (outcome.delay_ms <= 0) return responder.respond(std::move(outcome.response));
  auto delay = std::chrono::microseconds(static_cast<int64_t>(outcome.delay_ms * 1000));
  responder.respond_after(delay, std::move(outcome.response));
}

http::Response SimLlmRoutes::error_page(int status, const std::string& message) const {
  std::string code = status == 413   ? "request_too_large"
                     : status == 503 ? "overloaded"
                     : status == 504 ? "timeout"
                                     : "invalid_request";
  std::string type = status >= 500 ? "server_error" : "invalid_request_error";
  return error_response(status, message, type, code);
}

SimLlmStats SimLlmRoutes::stats() const {
  // Bodies the server refused (413) were requests to sim-llm, and bad ones; so were requests
  // turned away as overload (503).
  http::ServerStats server = server_stats_ ? server_stats_() : http::ServerStats{};
  return {requests_.load() + server.too_large + server.overloaded,
          completions_.load(),
          rate_limited_.load(),
          server_errors_.load(),
          timeouts_.load(),
          bad_requests_.load() + server.too_large,
          finetune_.jobs_created()};
}

// Injected faults, drawn per request from the seed and the request's sequence number.
bool SimLlmRoutes::injected_fault(uint64_t sequence, Outcome& outcome) {
  const auto& o = options_;
  double u = unit(splitmix64(o.seed ^ splitmix64(sequence)));
  if (u < o.rate_429) {
    ++rate_limited_;
    outcome.response = error_response(429, "Rate limit reached (simulated by tunecase sim-llm).",
                                      "rate_limit_error", "rate_limit_exceeded");
    outcome.response.headers.set("Retry-After", fmt::format("{:g}", o.retry_after_s));
    outcome.response.headers.set("retry-after-ms", fmt::format("{:.0f}", o.retry_after_s * 1000));
    return true;
  }
  if (u < o.rate_429 + o.rate_500) {
    ++server_errors_;
    outcome.response =
        error_response(500, "The server had an error (simulated by tunecase sim-llm).",
                       "server_error", "internal_error");
    return true;
  }
  if (u < o.rate_429 + o.rate_500 + o.rate_timeout) {
    ++timeouts_;
    outcome.hold = true;
    return true;
  }
  return false;
}

SimLlmRoutes::Outcome SimLlmRoutes::complete(const http::Request& request, SimApi api) {
  const auto& o = options_;
  uint64_t sequence = sequence_++;
  if (!o.require_key.empty() && !key_matches(request, o.require_key)) {
    ++bad_requests_;
    return {error_response(401,
                           "Incorrect API key provided (sim-llm was started with a required key).",
                           "invalid_request_error", "invalid_api_key")};
  }
  if (Outcome fault; injected_fault(sequence, fault)) return fault;
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) {
    ++bad_requests_;
    return {error_response(400, "We could not parse the JSON body of your request.",
                           "invalid_request_error", "invalid_json")};
  }
  try {
    SimRequest sim = api == SimApi::kChatCompletions ? read_chat_completions_request(body)
                                                     : read_messages_request(body);
    // The answer form depends on the request's content, so a repeated request (a retry, a
    // cached run) gets the same answer.
    uint64_t draw = splitmix64(o.seed ^ fnv1a64(request.body));
    std::shared_ptr<const std::vector<SimExample>> memory;
    if (sim.model.starts_with("ft:") && !(memory = finetune_.memory(sim.model))) {
      ++bad_requests_;
      return {error_response(
          404,
          fmt::format("The model `{}` does not exist (no succeeded sim-llm fine-tuning job made "
                      "it; sim-llm keeps its models only while it runs).",
                      sim.model),
          "invalid_request_error", "model_not_found")};
    }
    SimReply reply = answer_request(sim, draw, sequence, memory.get());
    ++completions_;
    Outcome outcome{json_response(200, reply.body)};
    double jitter = o.latency_jitter_ms * unit(splitmix64(draw ^ sequence));
    outcome.delay_ms = o.latency_base_ms + o.latency_per_token_ms * reply.output_tokens + jitter;
    return outcome;
  } catch (const SimBadRequest& e) {
    ++bad_requests_;
    return {error_response(400, e.what(), "invalid_request_error", "invalid_request")};
  }
}

SimLlmRoutes::Outcome SimLlmRoutes::route(const http::Request& request) {
  std::string_view path = request.path;
  if (path == "/sim/stats") return {json_response(200, stats_json(stats()))};
  ++requests_;
  if (path.starts_with("/v1/")) path.remove_prefix(3);
  bool post = request.method == "POST";
  if (path != "/files" && request.body.size() > kMaxChatBody) {
    ++bad_requests_;
    return {error_page(413, fmt::format("request body over {} bytes", kMaxChatBody))};
  }
  if (auto reply = finetune_.route(request.method, std::string(path),
                                   request.headers.get("content-type"), request.body)) {
    if (!options_.require_key.empty() && !key_matches(request, options_.require_key)) {
      ++bad_requests_;
      return {error_response(
          401, "Incorrect API key provided (sim-llm was started with a required key).",
          "invalid_request_error", "invalid_api_key")};
    }
    if (reply->status >= 400) ++bad_requests_;
    return {json_response(reply->status, reply->body)};
  }
  if (path == "/chat/completions" && post) return complete(request, SimApi::kChatCompletions);
  if (path == "/messages" && post) return complete(request, SimApi::kMessages);
  if (path == "/models" && request.method == "GET") return {json_response(200, models_json())};
  ++bad_requests_;
  return {error_response(404,
                         fmt::format("sim-llm serves POST /v1/chat/completions, POST /v1/messages "
                                     "and GET /v1/models, not {} {}",
                                     request.method, std::string(path)),
                         "invalid_request_error", "unknown_url")};
}

}  // namespace tunecase
