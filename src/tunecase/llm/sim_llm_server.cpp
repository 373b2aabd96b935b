#include "tunecase/llm/sim_llm_server.h"

#include <fmt/format.h>

// Boost 1.74's Asio uses std::exchange without including <utility>.
#include <utility>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/llm/sim_llm_api.h"

namespace tunecase {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t kMaxBody = 1 << 20;      // larger bodies get 413
constexpr std::size_t kReadLimit = 16 << 20;   // beyond this the connection is dropped after 413
constexpr auto kHold = std::chrono::hours(1);  // a "timed out" request is held this long

// SplitMix64: a well-mixed 64-bit value from a counter, so every draw is reproducible from the
// seed and the request's sequence number.
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

double unit(uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

}  // namespace

struct SimLlmServerState {
  SimLlmOptions options;
  std::unique_ptr<net::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<uint64_t> requests{0}, completions{0}, rate_limited{0}, server_errors{0}, timeouts{0},
      bad_requests{0}, sequence{0};

  void accept();
};

namespace {

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using State = SimLlmServerState;

// What to do with a request: answer now, answer after a delay, or hold it unanswered.
struct Outcome {
  Response response;
  double delay_ms = 0;
  bool hold = false;
};

Response json_response(const Request& request, http::status status, const nlohmann::json& body) {
  Response response{status, request.version()};
  response.set(http::field::server, "tunecase-sim-llm");
  response.set(http::field::content_type, "application/json");
  response.set("x-tunecase-simulated", "1");
  response.keep_alive(request.keep_alive());
  response.body() = body.dump();
  response.prepare_payload();
  return response;
}

Response error_response(const Request& request, http::status status, const std::string& message,
                        const std::string& type, const std::string& code) {
  return json_response(request, status, error_body(message, type, code));
}

bool key_matches(const Request& request, const std::string& key) {
  auto bearer = request[http::field::authorization];
  auto x_api_key = request["x-api-key"];
  return bearer == "Bearer " + key || x_api_key == key;
}

nlohmann::json stats_json(const State& s) {
  return {{"requests", s.requests.load()},
          {"completions", s.completions.load()},
          {"rate_limited", s.rate_limited.load()},
          {"server_errors", s.server_errors.load()},
          {"timeouts", s.timeouts.load()},
          {"bad_requests", s.bad_requests.load()},
          {"simulated", true}};
}

nlohmann::json models_json() {
  return {{"object", "list"},
          {"data",
           {{{"id", "sim-llm"},
             {"object", "model"},
             {"created", 0},
             {"owned_by", "tunecase-sim-llm"}}}}};
}

// Injected faults, drawn per request from the seed and the request's sequence number.
std::optional<Outcome> injected_fault(State& s, const Request& request, uint64_t sequence) {
  const auto& o = s.options;
  double u = unit(splitmix64(o.seed ^ splitmix64(sequence)));
  Outcome outcome;
  if (u < o.rate_429) {
    ++s.rate_limited;
    outcome.response = error_response(request, http::status::too_many_requests,
                                      "Rate limit reached (simulated by tunecase sim-llm).",
                                      "rate_limit_error", "rate_limit_exceeded");
    outcome.response.set(http::field::retry_after, fmt::format("{:g}", o.retry_after_s));
    outcome.response.set("retry-after-ms", fmt::format("{:.0f}", o.retry_after_s * 1000));
    return outcome;
  }
  if (u < o.rate_429 + o.rate_500) {
    ++s.server_errors;
    outcome.response = error_response(request, http::status::internal_server_error,
                                      "The server had an error (simulated by tunecase sim-llm).",
                                      "server_error", "internal_error");
    return outcome;
  }
  if (u < o.rate_429 + o.rate_500 + o.rate_timeout) {
    ++s.timeouts;
    outcome.hold = true;
    return outcome;
  }
  return std::nullopt;
}

Outcome complete(State& s, const Request& request, SimApi api) {
  const auto& o = s.options;
  uint64_t sequence = s.sequence++;
  if (!o.require_key.empty() && !key_matches(request, o.require_key)) {
    ++s.bad_requests;
    return {error_response(request, http::status::unauthorized,
                           "Incorrect API key provided (sim-llm was started with a required key).",
                           "invalid_request_error", "invalid_api_key")};
  }
  if (auto fault = injected_fault(s, request, sequence)) return std::move(*fault);
  auto body = nlohmann::json::parse(request.body(), nullptr, false);
  if (body.is_discarded()) {
    ++s.bad_requests;
    return {error_response(request, http::status::bad_request,
                           "We could not parse the JSON body of your request.",
                           "invalid_request_error", "invalid_json")};
  }
  try {
    SimRequest sim = api == SimApi::kChatCompletions ? read_chat_completions_request(body)
                                                     : read_messages_request(body);
    // The answer form depends on the request's content, so a repeated request (a retry, a
    // cached run) gets the same answer.
    uint64_t draw = splitmix64(o.seed ^ fnv1a64(request.body()));
    SimReply reply = answer_request(sim, draw, sequence);
    ++s.completions;
    Outcome outcome{json_response(request, http::status::ok, reply.body)};
    double jitter = o.latency_jitter_ms * unit(splitmix64(draw ^ sequence));
    outcome.delay_ms = o.latency_base_ms + o.latency_per_token_ms * reply.output_tokens + jitter;
    return outcome;
  } catch (const SimBadRequest& e) {
    ++s.bad_requests;
    return {error_response(request, http::status::bad_request, e.what(), "invalid_request_error",
                           "invalid_request")};
  }
}

Outcome route(State& s, const Request& request) {
  std::string_view target(request.target().data(), request.target().size());
  target = target.substr(0, target.find('?'));
  if (target == "/sim/stats") return {json_response(request, http::status::ok, stats_json(s))};
  ++s.requests;
  if (target.starts_with("/v1/")) target.remove_prefix(3);
  bool post = request.method() == http::verb::post;
  if (target == "/chat/completions" && post) return complete(s, request, SimApi::kChatCompletions);
  if (target == "/messages" && post) return complete(s, request, SimApi::kMessages);
  if (target == "/models" && request.method() == http::verb::get)
    return {json_response(request, http::status::ok, models_json())};
  ++s.bad_requests;
  return {error_response(request, http::status::not_found,
                         fmt::format("sim-llm serves POST /v1/chat/completions, POST /v1/messages "
                                     "and GET /v1/models, not {} {}",
                                     std::string(request.method_string()), std::string(target)),
                         "invalid_request_error", "unknown_url")};
}

// One client connection: read a request, answer it (after its latency), repeat while kept alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, State& state)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), state_(state) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(kReadLimit);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      ++state_.requests;
      ++state_.bad_requests;
      Request header = parser_->get();
      header.keep_alive(false);
      return write(too_large(header));
    }
    if (ec) return close();
    Request request = parser_->release();
    if (request.body().size() > kMaxBody) {
      ++state_.requests;
      ++state_.bad_requests;
      return write(too_large(request));
    }
    Outcome outcome = route(state_, request);
    if (outcome.hold) return hold();
    response_ = std::move(outcome.response);
    if (outcome.delay_ms <= 0) return write(std::move(response_));
    timer_.expires_after(std::chrono::microseconds(static_cast<int64_t>(outcome.delay_ms * 1000)));
    timer_.async_wait([self = shared_from_this()](beast::error_code wait_error) {
      if (!wait_error) self->write(std::move(self->response_));
    });
  }

  Response too_large(const Request& request) {
    return error_response(request, http::status::payload_too_large,
                          fmt::format("Request body over {} bytes.", kMaxBody),
                          "invalid_request_error", "request_too_large");
  }

  void write(Response response) {
    response_ = std::move(response);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec || !self->response_.keep_alive()) return self->close();
                        self->read();
                      });
  }

  // Never answers; ends when the client hangs up (its time-out) or after kHold.
  void hold() {
    timer_.expires_after(kHold);
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->close(); });
    stream_.socket().async_wait(
        tcp::socket::wait_read,
        [self = shared_from_this()](beast::error_code) { self->timer_.cancel(); });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  State& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
};

}  // namespace

void SimLlmServerState::accept() {
  acceptor->async_accept(net::make_strand(*io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), *this)->start();
    }
    accept();
  });
}

SimLlmServer::SimLlmServer(SimLlmOptions options) : state_(std::make_unique<SimLlmServerState>()) {
  state_->options = std::move(options);
}

SimLlmServer::~SimLlmServer() {
  stop();
}

int SimLlmServer::start() {
  auto& s = *state_;
  if (s.io) throw std::logic_error("SimLlmServer::start called twice");
  s.io = std::make_unique<net::io_context>(std::max(1, s.options.threads));
  s.acceptor = std::make_unique<tcp::acceptor>(*s.io);
  try {
    tcp::endpoint endpoint(net::ip::make_address(s.options.host),
                           static_cast<unsigned short>(s.options.port));
    s.acceptor->open(endpoint.protocol());
    s.acceptor->set_option(net::socket_base::reuse_address(true));
    s.acceptor->bind(endpoint);
    s.acceptor->listen(net::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    s.acceptor.reset();
    s.io.reset();
    throw UserError(
        fmt::format("sim-llm: cannot listen on {}:{}: {}; choose another --port (0 "
                    "picks a free one) or --host",
                    s.options.host, s.options.port, e.code().message()));
  }
  int port = s.acceptor->local_endpoint().port();
  s.accept();
  for (int i = 0; i < std::max(1, s.options.threads); ++i)
    s.threads.emplace_back([io = s.io.get()] { io->run(); });
  return port;
}

void SimLlmServer::stop() {
  auto& s = *state_;
  if (!s.io) return;
  s.io->stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  // Destroying the context destroys every pending handler, hence every session and its socket:
  // held and delayed requests see their connection close.
  s.acceptor.reset();
  s.io.reset();
}

SimLlmStats SimLlmServer::stats() const {
  const auto& s = *state_;
  return {s.requests.load(),      s.completions.load(), s.rate_limited.load(),
          s.server_errors.load(), s.timeouts.load(),    s.bad_requests.load()};
}

}  // namespace tunecase
