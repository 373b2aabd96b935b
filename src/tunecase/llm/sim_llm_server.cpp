#include "tunecase/llm/sim_llm_server.h"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "tunecase/core/error.h"
#include "tunecase/http/server.h"
#include "tunecase/llm/sim_llm_routes.h"

namespace tunecase {
namespace {

// A "timed out" request is held this long at most (its client gives up far sooner); idle
// connections stay open as long, as a real API's would while a client keeps them.
constexpr auto kHold = std::chrono::hours(1);
// sim-llm stands in for a provider that takes any load: held requests count in flight, and a
// rate-limit test may hold thousands.
constexpr std::size_t kMaxInFlight = 1 << 16;

http::ServerOptions server_options(const SimLlmOptions& o) {
  http::ServerOptions s;
  s.host = o.host;
  s.port = o.port;
  s.threads = o.threads;
  // Training files may be large; the routes hold every other request to 1 MiB (413 above).
  s.max_body_bytes = 64 << 20;
  s.max_in_flight = kMaxInFlight;
  s.read_timeout = kHold;
  s.response_timeout = kHold;
  s.server_name = "tunecase-sim-llm";
  return s;
}

}  // namespace

// The routes outlive the server that calls them: the server is destroyed (and joined) first.
struct SimLlmServerState {
  std::unique_ptr<SimLlmRoutes> routes;
  std::unique_ptr<http::Server> server;
};

SimLlmServer::SimLlmServer(SimLlmOptions options) : state_(std::make_unique<SimLlmServerState>()) {
  auto& s = *state_;
  http::ServerOptions settings = server_options(options);
  s.routes = std::make_unique<SimLlmRoutes>(
      std::move(options), [&s] { return s.server ? s.server->stats() : http::ServerStats{}; });
  SimLlmRoutes* routes = s.routes.get();
  settings.error_page = [routes](int status, const std::string& message) {
    return routes->error_page(status, message);
  };
  s.server = std::make_unique<http::Server>(
      std::move(settings), [routes](http::Request request, http::Responder responder) {
        routes->handle(request, responder);
      });
}

SimLlmServer::~SimLlmServer() {
  stop();
}

int SimLlmServer::start() {
  auto& s = *state_;
  try {
    return s.server->start();
  } catch (const UserError& e) {
    throw UserError(
        fmt::format("sim-llm: {}; choose another --port (0 picks a free one) or --host", e.what()));
  }
}

void SimLlmServer::stop() {
  // Held and delayed requests see their connection close.
  state_->server->stop();
}

SimLlmStats SimLlmServer::stats() const {
  return state_->routes->stats();
}

}  // namespace tunecase
