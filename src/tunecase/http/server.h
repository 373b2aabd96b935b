#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tunecase/http/message.h"

namespace boost::asio {
class io_context;
}

// An asynchronous HTTP/1.1 server (Boost.Beast underneath, kept out of this header) that knows
// no routes: it is handed one request handler. sim-llm and the gateway are such handlers.
namespace tunecase::http {

namespace detail {
struct Exchange;  // one request awaiting its answer (server.cpp)
struct ServerCore;
}  // namespace detail

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = a free port, chosen at start()
  // The whole pool, one event loop per thread: every connection and every handler call runs on
  // it, a connection always on the same thread.
  int threads = 2;
  // Larger request bodies are answered 413 and the connection is closed; the body is never
  // buffered beyond this size.
  std::size_t max_body_bytes = 1 << 20;
  // What the 413's message adds: what the client can do (the gateway: cut the text).
  std::string body_limit_hint;
  std::size_t max_header_bytes = 16 << 10;  // larger header blocks are answered 431
  // Requests handed to the handler and not yet answered, over all connections. One more is
  // answered 503 with Retry-After (the handler is not called), so overload costs a short answer,
  // never unbounded memory.
  std::size_t max_in_flight = 1024;
  // Bytes of request bodies received and not yet handed on, over all connections. A body over
  // 64 KiB that takes them past this is answered 503 with Retry-After, its connection closed:
  // clients that send part of a body and stall had held a buffer each, outside max_in_flight
  // (1,500 such uploads held 1.5 GB). Smaller bodies are never refused for it.
  std::size_t max_body_bytes_receiving = 64 << 20;
  // Paths answered whatever the load, never 503 for max_in_flight (a health check: a probe
  // that restarts an overloaded server throws away what it holds). Their handler must answer
  // cheaply.
  std::vector<std::string> always_answered;
  int retry_after_s = 1;  // the Retry-After of that 503
  // A connection that sends nothing for this long (idle keep-alive), or whose request has not
  // all arrived this long after its first byte (a request trickling in), is closed; the
  // latter is answered 408 first.
  std::chrono::milliseconds read_timeout{30000};
  // A handler that has not answered after this long gets 504 sent for it.
  std::chrono::milliseconds response_timeout{60000};
  std::string server_name = "tunecase";  // the Server header
  // How the server words the answers it gives by itself (400 malformed request, 413, 431, 503
  // overload or stopping, 504); default_error_page when empty. Called on a pool thread.
  std::function<Response(int status, const std::string& message)> error_page;
};

// Counters since start(); every field only grows, except in_flight.
struct ServerStats {
  uint64_t connections = 0;  // accepted
  uint64_t requests = 0;     // read, whether handled or rejected
  uint64_t handled = 0;      // given to the handler
  uint64_t too_large = 0;    // 413 and 431
  uint64_t malformed = 0;    // 400: bytes that are not HTTP/1.x
  uint64_t overloaded = 0;   // 503: over max_in_flight or max_body_bytes_receiving, or stopping
  uint64_t timed_out = 0;    // 504: the handler did not answer within response_timeout
  uint64_t abandoned = 0;    // the client hung up before its answer
  uint64_t in_flight = 0;    // handed to the handler and not yet answered, now
  uint64_t slow = 0;         // 408: a request not all in within read_timeout
};

// The way to answer one request. Cheap to copy; every copy answers the same request. The first
// respond() or respond_after() call wins and later ones are ignored. Both may be called from
// any thread, at any time, also after the server has stopped or the client has gone (the answer
// is then dropped). Never calling either is allowed: the client gets 504 after
// response_timeout, or nothing if it hangs up first.
class Responder {
 public:
  Responder() = default;  // answers nothing; for tests of code that stores a Responder
  // Sends `response`; returns at once, the server writes it on the connection's own event loop.
  void respond(Response response) const;
  // Sends `response` after `delay`, with a timer: no thread waits meanwhile.
  void respond_after(std::chrono::microseconds delay, Response response) const;
  // True once an answer can no longer reach the client: the client hung up, the request timed
  // out, or the server stopped. Work done only for this answer may be abandoned.
  bool abandoned() const;
  // True once respond() or respond_after() has been called.
  bool answered() const;

  explicit Responder(std::shared_ptr<detail::Exchange> exchange) : exchange_(std::move(exchange)) {}

 private:
  std::shared_ptr<detail::Exchange> exchange_;
};

// Called once per request on a pool thread, possibly on several threads at once. It must not
// block: answer at once through the responder, or hand the responder to whatever finishes the
// work (an asynchronous upstream call, a timer) and return. An exception thrown by the handler
// is answered 500 with its message withheld.
using Handler = std::function<void(Request request, Responder responder)>;

// Keep-alive HTTP/1.1 (and 1.0) with in-order answers per connection. A connection never runs
// two handler calls at once; different connections do.
class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens, and returns the bound port; nothing is accepted before start(). A caller
  // that writes state for the run (the gateway's store) binds first, so a port in use stops it
  // before it writes anything. Throws UserError naming the address when it cannot be bound;
  // throws std::logic_error when called twice.
  int listen();
  // Binds (unless listen() did), starts the pool and returns the bound port; throws
  // std::logic_error when called twice.
  int start();
  // Stops accepting, answers 503 to requests that arrive meanwhile, waits up to `grace` for the
  // requests in flight to be answered, then up to `grace` more while `busy` (work of the
  // handlers' own on the event loops, such as an outbound call that answers no request, which
  // needs the loops running) says so, then closes every connection (unanswered requests are
  // dropped) and joins the pool. Idempotent; a handler is never called after it returns.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0),
            const std::function<bool()>& busy = {});
  // The first half of stop(): stops accepting, answers 503 to requests that arrive meanwhile and
  // waits as stop() does, but keeps the loops running, so that answers given after it (the
  // owner cutting its outbound calls and telling their clients to retry) are still written.
  // stop() afterwards waits up to its own grace for those, then closes what is left.
  void stop_accepting(std::chrono::milliseconds grace, const std::function<bool()>& busy = {});
  ServerStats stats() const;
  // The pool's event loops, one per thread, for clients that should run on the server's own
  // threads (the gateway's upstream calls: a call started by a request runs on that request's
  // loop, and no thread hands work to another). They exist from construction and run from
  // start() to stop(). A holder that keeps one past stop() keeps the server's unanswered
  // connections on it alive, until the last holder lets it go.
  std::vector<std::shared_ptr<boost::asio::io_context>> io_contexts() const;

 private:
  std::shared_ptr<detail::ServerCore> core_;
};

}  // namespace tunecase::http
