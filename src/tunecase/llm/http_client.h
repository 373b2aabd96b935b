#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace tunecase {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{60000};  // whole request, connection included
  // A longer answer body is cut off there and fails the request (too_large), without a retry:
  // an API answer of this size is not a classification (a wrong base_url, a runaway server),
  // and reading it on would hold the memory of every request in flight.
  std::size_t max_response_bytes = std::size_t{32} << 20;
  // A request that must not reach the server twice (creating a paid fine-tuning job). A client
  // that finds a kept-alive connection closed under a request it sent sends it again on a new
  // one, as HTTP clients do, since most such requests never arrived; but the server may have
  // acted on it and closed before answering. This one goes out on a new connection and is never
  // sent again: a lost answer fails it ("end of stream"), and the caller finds out what happened.
  bool send_once = false;
};

struct HttpResponse {
  long status = 0;  // 0 when no HTTP response arrived
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased; last value wins
  // "" when an HTTP response arrived; otherwise what failed, for a person to read
  // ("timed out after 60000 ms", "connection refused to 127.0.0.1:9").
  std::string transport_error;
  bool timed_out = false;
  // With transport_error: the status line of an answer whose header arrived and whose body was
  // then cut off (0: no header arrived). A 2xx cut off mid-body was answered, and likely billed.
  long status_before_failure = 0;
  bool too_large = false;  // the body passed the request's max_response_bytes
  // The request never left: this machine ran out of open files, sockets or memory (EMFILE,
  // ENFILE, ENOBUFS, ENOMEM). No fault of the endpoint's.
  bool local_fault = false;
  double elapsed_ms = 0;  // from submit() to the end of the response
  // Copies of the request that may have reached the endpoint: 1, or 2 when the first was written
  // in full on a kept-alive connection that then closed without an answer and the client sent
  // it again (the endpoint may have read, and billed, the first); 0 when it never left.
  int copies_sent = 1;
};

// The provider says the account is out of credit or over its spending quota (OpenAI's 429
// `insufficient_quota`, Anthropic's 400 "credit balance is too low"): no wait or retry helps
// until someone adds credit or raises the limit, so callers do not retry it and a run stops.
// `text` is an answer's body or the message quoted from it.
bool says_out_of_credit(std::string_view text);
bool out_of_credit(const HttpResponse& response);

// The one asynchronous HTTP client of the project (runner, gateway, tools).
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Starts the request and returns at once. `done` is called exactly once, on the client's own
  // I/O thread: keep it short and never block in it. Requests still running when the client is
  // destroyed complete with transport_error "client shut down".
  virtual void submit(HttpRequest request, std::function<void(HttpResponse)> done) = 0;
};

struct HttpClientOptions {
  // At most this many connections are open at once; further requests wait inside the client
  // (their time-out runs while they wait).
  int max_connections = 256;
  // Plain http:// requests run on these event loops when given: the gateway passes its
  // server's, and a request submitted on one of their threads runs on that thread's loop, so
  // an upstream call never leaves the thread of the request that made it. Without them the
  // client runs one I/O thread of its own.
  std::vector<std::shared_ptr<boost::asio::io_context>> loops;
  // Send plain http:// through libcurl as well (for comparisons; libcurl is always used for
  // https:// and whenever http_proxy or all_proxy is set in the environment).
  bool curl_only = false;
};

// Hundreds of requests in flight without a thread each, on two engines behind one interface:
// plain http:// (self-hosted servers, sim-llm, a local upstream) on Boost.Beast with pooled
// keep-alive connections; https:// (and anything through a proxy) on libcurl's multi
// interface driven by one I/O thread, started at the first such request, with TLS verifying
// peers against the system certificate store. Both answer with the same messages ("timed out
// after 60000 ms", "connection refused to 127.0.0.1:9"). Every outbound body is counted by
// the audit (privacy/audit.h); headers are never logged (they hold API keys).
std::unique_ptr<HttpClient> make_http_client(HttpClientOptions options);
std::unique_ptr<HttpClient> make_http_client(int max_connections = 256);

// The transport_error of an answer whose body passed max_response_bytes (`where`: host:port).
std::string too_large_message(const std::string& where, std::size_t max_response_bytes);

// Blocks until the response arrives (for tools and tests; never call it from a `done` callback).
HttpResponse http_send_sync(HttpClient& client, HttpRequest request);

// Why `request` must never be sent, "" when it may: a header holding a line break, which would
// end it and start another (a key read with a newline had sent one). Both engines refuse such a
// request; the value is not quoted, as it may be a key.
std::string header_line_break(const HttpRequest& request);

}  // namespace tunecase
