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
using Clock = std::chrono::steady_clock;
// Each event loop has one thread: a connection's handlers run on its loop's own executor, with
// no strand and no type-erased executor between them.
using LoopExecutor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, LoopExecutor>;
using Timer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, LoopExecutor>;

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
      overloaded{0}, timed_out{0}, abandoned{0}, in_flight{0}, slow{0};
  // Bytes of request bodies being received (ServerOptions::max_body_bytes_receiving).
  std::atomic<std::size_t> body_bytes_receiving{0};
  uint64_t accept_errors = 0;  // on the acceptor's strand only (accept() runs one at a time)
  std::chrono::steady_clock::time_point accept_error_said{};

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
  bool counted = true;  // holds a place in ServerCore::in_flight (not for always_answered paths)
};

// One client connection: read a request, hand it to the handler, write its answer, repeat while
// kept alive. Every member runs on the connection's event loop, except deliver().
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Socket socket, std::shared_ptr<ServerCore> core);
  void start();
  // Queues the answer of `exchange` on the connection's loop; callable from any thread.
  void deliver(std::shared_ptr<Exchange> exchange, Response response,
               std::chrono::microseconds delay);

 private:
  void read();
  // The header is in: a client that waits for "100 Continue" (curl does for bodies over 1 KB)
  // gets it; the body is then parsed from what the buffer holds, and read only when it is not
  // all there.
  void on_header(beast::error_code ec);
  void read_body();
  void on_read(beast::error_code ec);
  // The body's bytes received so far, held in ServerCore::body_bytes_receiving until it is read
  // (or the connection closes). False: past the budget, the request was refused.
  bool hold_body();
  void release_body();
  void dispatch(bhttp::request<bhttp::string_body> request);
  void await_answer();
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

  // What the connection is doing, hence what its deadline means when it passes.
  enum class Phase {
    kReading,        // a request: close at the read timeout
    kAwaiting,       // the handler's answer, before the hang-up watch starts
    kAwaitingWatch,  // the handler's answer, watching for a hang-up: 504 at the deadline
    kDelaying,       // an answer known, held back until its delay ends
    kWriting,        // an answer: close at the read timeout
    kLingering,      // discarding what the client still sends: close at the deadline
  };
  // The deadline of the current phase. The one timer is armed lazily: a deadline later than
  // the pending wait's leaves it alone (it re-arms when it fires early), so a request on a busy
  // connection costs no timer operation at all; only an earlier deadline re-arms it.
  void set_deadline(Phase phase, Clock::time_point deadline);
  void arm(Clock::time_point at);
  void on_timer(uint64_t generation);
  void on_deadline();

  Socket socket_;
  Timer timer_;
  uint64_t timer_generation_ = 0;  // a timer handler acts only if no later arm replaced it
  Phase phase_ = Phase::kReading;
  Clock::time_point deadline_ = Clock::time_point::max();  // max: nothing to time
  Clock::time_point armed_ = Clock::time_point::max();     // the pending wait's; max: none
  Clock::time_point answer_due_;                           // the 504 deadline of kAwaitingWatch
  std::optional<Response> delayed_;                        // the answer of kDelaying
  std::shared_ptr<ServerCore> core_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string response_;                // the answer being written, as its bytes on the wire
  std::shared_ptr<Exchange> exchange_;  // the request awaiting its answer, if any
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;  // the request is HEAD: its answer goes without a body
  AfterWrite after_write_ = AfterWrite::kKeepAlive;
  bool closed_ = false;
  // A request given up at the read timeout (408): the read still pending ends in nothing.
  bool reading_given_up_ = false;
  std::size_t body_reserved_ = 0;
  std::string remote_address_;
};

}  // namespace tunecase::http::detail
