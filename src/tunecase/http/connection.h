#pragma once

// Internal to the http module: the Boost.Asio side of server.h. Nothing outside
// src/tunecase/http/ includes this header.

// Boost 1.74's Asio uses std::exchange without including <utility>.
#include <utility>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "tunecase/http/server.h"

namespace tunecase::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

// What every connection shares. Outlives the io_context it owns (stop() destroys that), so a
// Responder held anywhere may always look at `stopped`.
struct ServerCore : std::enable_shared_from_this<ServerCore> {
  ServerOptions options;
  Handler handler;
  // One event loop per pool thread, as nginx has one per worker: a connection lives on one
  // loop, and so does the work its requests start there (the gateway's upstream calls), so no
  // request wakes another thread. The acceptor deals new connections round-robin.
  std::vector<std::shared_ptr<net::io_context>> loops;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  std::atomic<std::size_t> next_loop{0};
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<net::steady_timer> accept_retry;
  std::vector<std::thread> threads;

  // Guards handing answers to `io` (shared) against stop() destroying it (exclusive).
  std::shared_mutex post_mutex;
  std::atomic<bool> stopped{false};  // set under post_mutex
  bool started = false;
  std::atomic<bool> stopping{false};  // new requests get 503

  std::atomic<uint64_t> connections{0}, requests{0}, handled{0}, too_large{0}, malformed{0},
      overloaded{0}, timed_out{0}, abandoned{0}, in_flight{0};

  Response error_page(int status, const std::string& message) const;
  void accept();
};

class Connection;

// One request handed to the handler, until it is answered or given up.
struct Exchange {
  std::shared_ptr<ServerCore> core;
  std::weak_ptr<Connection> connection;
  std::atomic<bool> answered{false};
  std::atomic<bool> abandoned{false};
};

// One client connection: read a request, hand it to the handler, write its answer, repeat while
// kept alive. Every member runs on the connection's strand, except deliver().
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<ServerCore> core);
  void start();
  // Queues the answer of `exchange` on the strand; callable from any thread.
  void deliver(std::shared_ptr<Exchange> exchange, Response response,
               std::chrono::microseconds delay);

 private:
  void read();
  void on_read(beast::error_code ec);
  void dispatch(bhttp::request<bhttp::string_body> request);
  void await_answer();
  void arm_response_timer(std::chrono::milliseconds wait, std::chrono::milliseconds then);
  void watch_for_hangup();
  enum class Peer { kSending, kQuiet, kGone };
  Peer peer_state();
  // What follows a written response: the next request, closing, or closing after discarding
  // what the client still sends (its unread body). Ordered from mildest.
  enum class AfterWrite { kKeepAlive, kClose, kLinger };

  void on_answer(Response response);
  void reject(int status, const std::string& message, AfterWrite after);
  void end_exchange();
  void write(Response response, AfterWrite after);
  void linger();
  void drain();
  void close();

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  uint64_t timer_generation_ = 0;  // a timer handler acts only if no later arm replaced it
  std::shared_ptr<ServerCore> core_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string response_;                // the answer being written, as its bytes on the wire
  std::shared_ptr<Exchange> exchange_;  // the request awaiting its answer, if any
  unsigned version_ = 11;
  bool keep_alive_ = true;
  AfterWrite after_write_ = AfterWrite::kKeepAlive;
  bool closed_ = false;
  std::string remote_address_;
};

}  // namespace tunecase::http::detail
