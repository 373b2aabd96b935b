#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tunecase {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{60000};  // whole request, connection included
};

struct HttpResponse {
  long status = 0;  // 0 when no HTTP response arrived
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased; last value wins
  // "" when an HTTP response arrived; otherwise what failed, for a person to read
  // ("timed out after 60000 ms", "connection refused to 127.0.0.1:9").
  std::string transport_error;
  bool timed_out = false;
  double elapsed_ms = 0;  // from submit() to the end of the response
};

// The one asynchronous HTTP client of the project (runner, gateway, tools).
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Starts the request and returns at once. `done` is called exactly once, on the client's own
  // I/O thread: keep it short and never block in it. Requests still running when the client is
  // destroyed complete with transport_error "client shut down".
  virtual void submit(HttpRequest request, std::function<void(HttpResponse)> done) = 0;
};

// libcurl's multi interface driven by ONE I/O thread: hundreds of requests in flight without a
// thread each. At most `max_connections` connections are open at once; further requests wait
// inside the client (their time-out runs while they wait). TLS verifies peers against the
// system certificate store. Headers are never logged (they hold API keys).
std::unique_ptr<HttpClient> make_http_client(int max_connections = 256);

// Blocks until the response arrives (for tools and tests; never call it from a `done` callback).
HttpResponse http_send_sync(HttpClient& client, HttpRequest request);

}  // namespace tunecase
