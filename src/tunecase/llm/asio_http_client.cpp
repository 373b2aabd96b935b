#include "tunecase/llm/asio_http_client.h"

// Boost 1.74's Asio uses std::exchange without including <utility>.
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tunecase/core/ascii_case.h"
#include "tunecase/http/wire.h"
#include "tunecase/privacy/audit.h"

namespace tunecase::asio_http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

std::optional<HttpTarget> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (ascii_lower(url[i]) != kScheme[i]) return std::nullopt;
  std::string_view rest = url.substr(kScheme.size());
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? "" : rest.substr(end);
  path = path.substr(0, path.find('#'));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  HttpTarget t;
  t.host_header = std::string(authority);
  std::string_view port;
  if (authority.front() == '[') {  // [::1]:8000
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    t.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && (after.front() != ':' || after.size() == 1)) return std::nullopt;
    port = after.empty() ? "" : after.substr(1);
  } else {
    size_t colon = authority.find(':');
    t.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  if (t.host.empty()) return std::nullopt;
  if (port.empty()) {
    t.port = "80";
  } else {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return std::nullopt;
    t.port = std::string(port);
  }
  if (path.empty() || path.front() == '?') t.path = "/";
  t.path += std::string(path);
  t.pool_key = t.host + '\n' + t.port;
  return t;
}

std::shared_ptr<const HttpTarget> parsed_http_url(const std::string& url) {
  constexpr std::size_t kRemembered = 4;
  thread_local std::array<std::pair<std::string, std::shared_ptr<const HttpTarget>>, kRemembered>
      recent;
  thread_local std::size_t next = 0;
  for (const auto& [known, target] : recent)
    if (target && known == url) return target;
  auto target = parse_http_url(url);
  if (!target) return nullptr;
  auto shared = std::make_shared<const HttpTarget>(std::move(*target));
  recent[next] = {url, shared};
  next = (next + 1) % kRemembered;
  return shared;
}

namespace {

constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);

// One request, from submit() until `done` has been called (exactly once: `finished` decides).
// Beast's string_body with the limit in its reader. Beast 1.74's async_read does not hold a
// response with a Content-Length to the parser's body_limit (its eager parse goes on into the
// body after the header's check fails, and the body is read whole), so the reader refuses a
// declared length over the limit before any of the body is read, and a body that grows past it.
struct LimitedStringBody {
  struct value_type {
    std::string text;
    std::size_t limit = std::numeric_limits<std::size_t>::max();
  };
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      if (length && *length > body_.limit) {
        ec = bhttp::error::body_limit;
        return;
      }
      if (length) body_.text.reserve(static_cast<std::size_t>(*length));
      ec = {};
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      const std::size_t n = net::buffer_size(buffers);
      if (n > body_.limit - body_.text.size()) {
        ec = bhttp::error::body_limit;
        return 0;
      }
      for (const auto& b : beast::buffers_range_ref(buffers))
        body_.text.append(static_cast<const char*>(b.data()), b.size());
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

struct Exchange {
  std::shared_ptr<const HttpTarget> target;  // its pool_key, with `loop`: the connections to use
  std::size_t loop = 0;                      // the event loop it runs on
  std::size_t slot = kNoSlot;                // its place among its loop's open requests
  std::chrono::milliseconds timeout{0};
  std::size_t max_response_bytes = 0;
  std::string wire;     // the request as its bytes on the wire, built once (a retry resends them)
  std::string refused;  // why it is never sent (a header with a line break); empty: it is sent
  std::function<void(HttpResponse)> done;
  SteadyClock::time_point started = SteadyClock::now();
  SteadyClock::time_point deadline;
  std::atomic<bool> finished{false};
  bool retried = false;        // sent again once after a kept-alive connection turned out closed
  bool written = false;        // the request's bytes were all written on the current connection
  int copies_sent_before = 0;  // written in full on a connection that then closed unanswered
  bool fresh = false;          // HttpRequest::send_once: on a new connection, and never sent again
  std::unique_ptr<net::steady_timer> wait_timer;  // while waiting for a free connection

  std::string where() const {
    return target->host.find(':') == std::string::npos
               ? fmt::format("{}:{}", target->host, target->port)
               : fmt::format("[{}]:{}", target->host, target->port);
  }
};

// Each event loop has one thread: a connection's handlers run on its loop's own executor, with
// no strand and no type-erased executor between them.
using LoopExecutor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, LoopExecutor>;
using Timer = net::basic_waitable_timer<SteadyClock, net::wait_traits<SteadyClock>, LoopExecutor>;

// One connection to one host and port. Its operations run on its event loop; it carries one
// exchange at a time.
struct Conn {
  Conn(net::io_context& io, std::size_t on_loop, std::string pool_key)
      : socket(io.get_executor()),
        timer(io.get_executor()),
        loop(on_loop),
        key(std::move(pool_key)) {}
  Socket socket;
  // The exchange's deadline, armed lazily: a deadline later than the pending wait's leaves the
  // wait alone (it re-arms when it fires early), so a request on a kept-alive connection mostly
  // costs no timer operation. Past the deadline the socket is closed, failing what is pending.
  Timer timer;
  SteadyClock::time_point deadline = SteadyClock::time_point::max();  // max: nothing to time
  SteadyClock::time_point armed = SteadyClock::time_point::max();     // the pending wait's
  uint64_t generation = 0;     // a timer handler acts only if no later arm replaced it
  bool timed_out = false;      // the socket was closed at the deadline
  std::size_t loop;            // the event loop it runs on
  std::string key;             // the target's pool_key
  std::size_t slot = kNoSlot;  // its place among its loop's busy connections
  bool reused = false;         // has answered a request before: the peer may have closed it since
  beast::flat_buffer buffer;
  std::optional<bhttp::response_parser<LimitedStringBody>> parser;
  std::shared_ptr<Exchange> exchange;
};

// Shared objects that each keep their place in the set: adding and removing allocate nothing
// (the gateway adds and removes a request and a connection for each request it serves).
template <typename T>
class SlotSet {
 public:
  void add(std::shared_ptr<T> item) {
    item->slot = items_.size();
    items_.push_back(std::move(item));
  }
  // Nothing when `item` is not in the set. The caller holds its own reference to it.
  void remove(T& item) {
    std::size_t at = item.slot;
    if (at == kNoSlot) return;
    item.slot = kNoSlot;
    if (at + 1 != items_.size()) {
      items_[at] = std::move(items_.back());
      items_[at]->slot = at;
    }
    items_.pop_back();
  }
  // Empties the set into `out`.
  void drain_into(std::vector<std::shared_ptr<T>>& out) {
    for (auto& item : items_) item->slot = kNoSlot;
    out.insert(out.end(), std::make_move_iterator(items_.begin()),
               std::make_move_iterator(items_.end()));
    items_.clear();
  }
  const std::vector<std::shared_ptr<T>>& items() const { return items_; }

 private:
  std::vector<std::shared_ptr<T>> items_;
};

constexpr uint32_t kHeaderLimit = 64 << 10;

class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(std::vector<net::io_context*> loops, int max_connections)
      : loops_(std::move(loops)), max_(max_connections) {
    for (std::size_t i = 0; i < loops_.size(); ++i) pools_.push_back(std::make_unique<Pool>());
  }

  // The loop whose thread this is, else the next in turn.
  std::size_t pick_loop() {
    for (std::size_t i = 0; i < loops_.size(); ++i)
      if (loops_[i]->get_executor().running_in_this_thread()) return i;
    return next_loop_.fetch_add(1) % loops_.size();
  }

  void submit(std::shared_ptr<Exchange> ex) {
    if (!ex->refused.empty()) {  // never sent
      HttpResponse r;
      r.transport_error = std::move(ex->refused);
      r.local_fault = true;
      return finish(ex, std::move(r));
    }
    Pool& pool = *pools_[ex->loop];
    std::shared_ptr<Conn> conn;
    bool admitted = false;
    {
      std::lock_guard lock(pool.mutex);
      if (!stopping_) {  // read under the pool's lock: see shutdown()
        pool.active.add(ex);
        admitted = true;
        if (!ex->fresh) conn = take_idle(pool, ex->target->pool_key);
      }
    }
    if (!admitted) return fail(ex, "client shut down", false);
    if (!conn) conn = open_new(*ex);
    if (!conn) return wait_for_connection(std::move(ex));
    run(std::move(conn), std::move(ex));
  }

  // Completes every open request with "client shut down" and closes every connection.
  void shutdown() {
    std::vector<std::shared_ptr<Exchange>> open;
    std::vector<std::shared_ptr<Conn>> conns;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;  // before each pool is emptied: what comes after sees it
      waiting_.clear();  // each of them is among its pool's open requests too
      waiting_count_ = 0;
      // From here on each connection is held only by what is queued on its own loop, so it
      // goes with that loop: the core may outlive a loop (a handler on another loop holds it)
      // and must not be the one to destroy a socket whose loop is gone.
      for (auto& pool : pools_) {
        std::lock_guard pool_lock(pool->mutex);
        open.insert(open.end(), pool->active.items().begin(), pool->active.items().end());
        for (auto& [key, list] : pool->idle) conns.insert(conns.end(), list.begin(), list.end());
        pool->idle.clear();
        pool->busy.drain_into(conns);
      }
    }
    for (auto& ex : open) {
      HttpResponse r;
      r.transport_error = "client shut down";
      finish(ex, std::move(r));
    }
    for (auto& conn : conns) net::post(conn->socket.get_executor(), [conn] { close(*conn); });
  }

 private:
  // One event loop's connections and open requests. Its own thread takes this lock for each
  // request, and no other thread does except to shut down, to close an idle connection that
  // must make room, or to submit from outside the loops: the loops never wait for each other.
  struct Pool {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<std::shared_ptr<Conn>>> idle;  // by pool_key
    SlotSet<Conn> busy;
    SlotSet<Exchange> active;
  };

  // Under pool.mutex: an idle connection to `key`, now busy, or nullptr.
  static std::shared_ptr<Conn> take_idle(Pool& pool, const std::string& key) {
    auto it = pool.idle.find(key);
    if (it == pool.idle.end() || it->second.empty()) return nullptr;
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    pool.busy.add(conn);
    return conn;
  }

  // A new connection for `ex` while fewer than max_ are open, else nullptr.
  std::shared_ptr<Conn> open_new(const Exchange& ex) {
    if (open_.fetch_add(1) >= max_) {
      --open_;
      return nullptr;
    }
    return new_conn(ex.loop, ex.target->pool_key);
  }

  // A connection not yet open, counted busy on its loop (open_ counts it already).
  std::shared_ptr<Conn> new_conn(std::size_t loop, const std::string& key) {
    auto conn = std::make_shared<Conn>(*loops_[loop], loop, key);
    Pool& pool = *pools_[loop];
    std::lock_guard lock(pool.mutex);
    pool.busy.add(conn);
    return conn;
  }

  // max_ connections are open: `ex` waits for one (its time-out running), oldest first.
  void wait_for_connection(std::shared_ptr<Exchange> ex) {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {  // else shutdown() has completed it or is about to
        waiting_.push_back(ex);
        ++waiting_count_;
        ex->wait_timer = std::make_unique<net::steady_timer>(*loops_[ex->loop], ex->deadline);
        ex->wait_timer->async_wait([self = shared_from_this(), ex](beast::error_code ec) {
          if (!ec) self->give_up_waiting(ex);
        });
      }
    }
    // A connection freed since this request looked finds it now: a release reads
    // waiting_count_ after it frees a connection, and this looks again after counting itself.
    serve_waiters();
  }

  // Gives free connections to waiting requests, oldest first, until one finds none.
  void serve_waiters() {
    for (;;) {
      std::shared_ptr<Exchange> ex;
      std::shared_ptr<Conn> conn;
      {
        std::lock_guard lock(mutex_);
        if (waiting_.empty()) return;
        conn = claim_for(*waiting_.front());
        if (!conn) return;
        ex = std::move(waiting_.front());
        waiting_.pop_front();
        --waiting_count_;
      }
      run(std::move(conn), std::move(ex));
    }
  }

  // Under mutex_: an idle connection of ex's loop and target, a new one, or a new one in place
  // of an idle connection to another target or on another loop; nullptr when all are busy.
  std::shared_ptr<Conn> claim_for(const Exchange& ex) {
    {
      Pool& own = *pools_[ex.loop];
      std::lock_guard lock(own.mutex);
      if (auto conn = ex.fresh ? nullptr : take_idle(own, ex.target->pool_key)) return conn;
    }
    if (auto conn = open_new(ex)) return conn;
    for (auto& pool : pools_) {
      std::shared_ptr<Conn> old;
      {
        std::lock_guard lock(pool->mutex);
        for (auto& entry : pool->idle) {
          if (entry.second.empty()) continue;
          old = std::move(entry.second.back());
          entry.second.pop_back();
          break;
        }
      }
      if (!old) continue;
      net::post(old->socket.get_executor(), [old] { close(*old); });
      return new_conn(ex.loop, ex.target->pool_key);  // in the closed one's place in open_
    }
    return nullptr;
  }

  void give_up_waiting(const std::shared_ptr<Exchange>& ex) {
    {
      std::lock_guard lock(mutex_);
      auto it = std::find(waiting_.begin(), waiting_.end(), ex);
      if (it == waiting_.end()) return;
      waiting_.erase(it);
      --waiting_count_;
    }
    fail(ex, fmt::format("timed out after {} ms", ex->timeout.count()), true);
  }

  void run(std::shared_ptr<Conn> conn, std::shared_ptr<Exchange> ex) {
    conn->exchange = std::move(ex);
    net::dispatch(conn->socket.get_executor(), [self = shared_from_this(), conn] {
      if (conn->socket.is_open())
        self->write(conn);
      else
        self->connect(conn);
    });
  }

  static void close(Conn& conn) {
    ++conn.generation;
    conn.armed = SteadyClock::time_point::max();
    conn.timer.cancel();
    beast::error_code ignored;
    conn.socket.close(ignored);
  }

  static void set_deadline(const std::shared_ptr<Conn>& conn, SteadyClock::time_point at) {
    conn->deadline = at;
    if (at < conn->armed) arm(conn, at);
  }

  static void arm(const std::shared_ptr<Conn>& conn, SteadyClock::time_point at) {
    conn->armed = at;
    auto generation = ++conn->generation;
    conn->timer.expires_at(at);  // cancels a wait still pending: it sees a later generation
    conn->timer.async_wait([conn, generation](beast::error_code) {
      if (generation != conn->generation) return;
      conn->armed = SteadyClock::time_point::max();
      if (conn->deadline == SteadyClock::time_point::max()) return;
      if (SteadyClock::now() < conn->deadline) return arm(conn, conn->deadline);
      conn->deadline = SteadyClock::time_point::max();
      conn->timed_out = true;
      close(*conn);  // what is pending fails with operation_aborted; failed() says timed out
    });
  }

  void connect(const std::shared_ptr<Conn>& conn) {
    const Exchange& ex = *conn->exchange;
    conn->reused = false;
    conn->buffer.clear();
    beast::error_code ec;
    auto address = net::ip::make_address(ex.target->host, ec);
    conn->timed_out = false;
    set_deadline(conn, ex.deadline);
    auto on_connect = [self = shared_from_this(), conn](beast::error_code error) {
      if (error) return self->failed(conn, error);
      beast::error_code ignored;
      conn->socket.set_option(tcp::no_delay(true), ignored);
      self->write(conn);
    };
    if (!ec) {
      conn->socket.async_connect(
          tcp::endpoint(address, static_cast<unsigned short>(std::stoi(ex.target->port))),
          std::move(on_connect));
      return;
    }
    auto resolver = std::make_shared<tcp::resolver>(conn->socket.get_executor());
    resolver->async_resolve(
        ex.target->host, ex.target->port,
        [self = shared_from_this(), conn, resolver, on_connect = std::move(on_connect)](
            beast::error_code error, tcp::resolver::results_type results) mutable {
          if (error) {
            auto& exchange = *conn->exchange;
            return self->fail_on(conn,
                                 fmt::format("could not resolve host of {}", exchange.where()));
          }
          net::async_connect(
              conn->socket, results,
              [on_connect = std::move(on_connect)](
                  beast::error_code e, const tcp::endpoint&) mutable { on_connect(e); });
        });
  }

  void write(const std::shared_ptr<Conn>& conn) {
    set_deadline(conn, conn->exchange->deadline);
    net::async_write(conn->socket, net::buffer(conn->exchange->wire),
                     [self = shared_from_this(), conn](beast::error_code ec, size_t) {
                       if (ec) return self->failed(conn, ec);
                       conn->exchange->written = true;
                       self->read(conn);
                     });
  }

  void read(const std::shared_ptr<Conn>& conn) {
    conn->parser.emplace();
    // The body's reader holds the limit. Not boost::none here: Beast 1.74 compares a
    // Content-Length with the optional limit, and an empty one compares below every length, so
    // an answer whose header came in a read of its own failed as over the limit (the error is
    // lost, and the answer read, only when body bytes follow the header in the same read).
    conn->parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    conn->parser->get().body().limit = conn->exchange->max_response_bytes;
    conn->parser->header_limit(kHeaderLimit);
    bhttp::async_read(conn->socket, conn->buffer, *conn->parser,
                      [self = shared_from_this(), conn](beast::error_code ec, size_t) {
                        if (ec) return self->failed(conn, ec);
                        self->answered(conn);
                      });
  }

  void answered(const std::shared_ptr<Conn>& conn) {
    auto message = conn->parser->release();
    conn->parser.reset();
    HttpResponse r;
    r.status = static_cast<long>(message.result_int());
    for (const auto& field : message) {
      auto name = field.name_string();
      r.headers.insert_or_assign(ascii_lower({name.data(), name.size()}),
                                 std::string(field.value()));
    }
    r.body = std::move(message.body().text);
    bool keep = message.keep_alive();
    auto ex = std::move(conn->exchange);
    conn->reused = true;
    release(conn, keep);  // first: a request sent from `done` finds the connection free
    finish(ex, std::move(r));
  }

  // The audit records each request when it is submitted; a copy written in full before the
  // peer closed the connection unanswered is recorded too (it may have been read there).
  static void audit_earlier_copy(const Exchange& ex) {
    if (!auditing()) return;
    const std::string& wire = ex.wire;
    const std::size_t space = wire.find(' ');
    const std::size_t path_end = wire.find(' ', space + 1);
    const std::size_t body = wire.find("\r\n\r\n");
    if (space == std::string::npos || path_end == std::string::npos || body == std::string::npos)
      return;
    audit_outbound("http://" + ex.where() + wire.substr(space + 1, path_end - space - 1),
                   wire.substr(body + 4));
  }

  // A kept-alive connection the peer closed meanwhile fails on its first write or before any
  // byte of the answer: that request is sent once more on a new connection.
  void failed(const std::shared_ptr<Conn>& conn, beast::error_code ec) {
    Exchange& ex = *conn->exchange;
    bool nothing_read = !conn->parser || !conn->parser->got_some();
    bool peer_closed = ec == bhttp::error::end_of_stream || ec == net::error::eof ||
                       ec == net::error::connection_reset || ec == net::error::broken_pipe ||
                       ec == net::error::connection_aborted;
    if (conn->timed_out)
      return fail_on(conn, fmt::format("timed out after {} ms", ex.timeout.count()), true);
    if (conn->reused && !ex.retried && nothing_read && peer_closed) {
      ex.retried = true;
      // Written in full before the peer closed: that copy may have been read and acted on (a
      // provider bills what it received), so the answer counts it (HttpResponse::copies_sent).
      if (ex.written) {
        ++ex.copies_sent_before;
        audit_earlier_copy(ex);
      }
      ex.written = false;
      conn->parser.reset();
      close(*conn);
      connect(conn);
      return;
    }
    if (ec == beast::error::timeout)
      return fail_on(conn, fmt::format("timed out after {} ms", ex.timeout.count()), true);
    if (ec == net::error::connection_refused)
      return fail_on(conn, fmt::format("connection refused to {}", ex.where()));
    if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
        ec == net::error::no_memory || ec == std::errc::too_many_files_open_in_system) {
      auto done = std::move(conn->exchange);
      conn->parser.reset();
      release(conn, false);
      HttpResponse r;
      r.transport_error =
          fmt::format("request to {} not sent: this machine is out of {} ({})", done->where(),
                      ec == net::error::no_memory ? "memory" : "open files", ec.message());
      r.local_fault = true;
      return finish(done, std::move(r));
    }
    if (ec == bhttp::error::body_limit) {
      auto done = std::move(conn->exchange);
      // The header had arrived: a 2xx cut off for its size was answered, and likely billed, as
      // any 2xx cut off is (it had been charged nothing).
      const long status =
          conn->parser && conn->parser->is_header_done() ? conn->parser->get().result_int() : 0;
      conn->parser.reset();
      release(conn, false);
      HttpResponse r;
      r.transport_error = too_large_message(done->where(), done->max_response_bytes);
      r.too_large = true;
      r.status_before_failure = status;
      return finish(done, std::move(r));
    }
    fail_on(conn, fmt::format("request to {} failed: {}", ex.where(), ec.message()));
  }

  void fail_on(const std::shared_ptr<Conn>& conn, std::string error, bool timed_out = false) {
    auto ex = std::move(conn->exchange);
    const long header_status = conn->parser && conn->parser->is_header_done()
                                   ? static_cast<long>(conn->parser->get().result_int())
                                   : 0;
    conn->parser.reset();
    release(conn, false);
    fail(ex, std::move(error), timed_out, header_status);
  }

  void fail(const std::shared_ptr<Exchange>& ex, std::string error, bool timed_out,
            long header_status = 0) {
    HttpResponse r;
    r.transport_error = std::move(error);
    r.timed_out = timed_out;
    r.status_before_failure = header_status;
    finish(ex, std::move(r));
  }

  // On the connection's loop, its exchange answered: back to its loop's idle connections (or
  // closed), and then to a request waiting for a connection if there is one.
  void release(const std::shared_ptr<Conn>& conn, bool reusable) {
    conn->deadline = SteadyClock::time_point::max();  // the pending wait, if any, lapses
    {
      Pool& pool = *pools_[conn->loop];
      std::lock_guard lock(pool.mutex);
      pool.busy.remove(*conn);
      // Read under the pool's lock: once shutdown() has emptied this pool, it is seen.
      if (stopping_) reusable = false;
      if (reusable) pool.idle[conn->key].push_back(conn);
    }
    if (!reusable) {
      --open_;
      beast::error_code ignored;
      conn->socket.shutdown(Socket::shutdown_both, ignored);
      close(*conn);
    }
    if (waiting_count_ > 0) serve_waiters();
  }

  void finish(const std::shared_ptr<Exchange>& ex, HttpResponse response) {
    if (ex->finished.exchange(true)) return;
    response.copies_sent = (response.local_fault ? 0 : 1) + ex->copies_sent_before;
    {
      Pool& pool = *pools_[ex->loop];
      std::lock_guard lock(pool.mutex);
      pool.active.remove(*ex);
    }
    response.elapsed_ms =
        std::chrono::duration<double, std::milli>(SteadyClock::now() - ex->started).count();
    try {
      ex->done(std::move(response));
    } catch (const std::exception& e) {
      // A throwing callback must not break the I/O thread that serves every other request.
      spdlog::error("http client: a response handler threw: {}", e.what());
    }
    ex->done = nullptr;  // what the callback holds goes now, not with the last timer
  }

  const std::vector<net::io_context*> loops_;
  const int max_;
  std::atomic<std::size_t> next_loop_{0};
  std::vector<std::unique_ptr<Pool>> pools_;  // by loop
  std::atomic<bool> stopping_{false};
  std::atomic<int> open_{0};  // connections open or opening, on every loop
  // waiting_.size(), read without the lock by each release: mostly 0, and then no lock is taken.
  std::atomic<std::size_t> waiting_count_{0};
  std::mutex mutex_;  // guards waiting_; taken before a pool's lock, never while holding one
  std::deque<std::shared_ptr<Exchange>> waiting_;
};

class AsioHttpClient final : public HttpClient {
 public:
  AsioHttpClient(int max_connections, std::vector<std::shared_ptr<net::io_context>> loops)
      : loops_(std::move(loops)) {
    if (loops_.empty()) {
      loops_.push_back(std::make_shared<net::io_context>(1));
      guard_.emplace(net::make_work_guard(*loops_.front()));
      thread_ = std::thread([io = loops_.front()] { io->run(); });
    }
    std::vector<net::io_context*> raw;
    for (auto& loop : loops_) raw.push_back(loop.get());
    core_ = std::make_shared<Core>(std::move(raw), std::max(1, max_connections));
  }

  ~AsioHttpClient() override {
    if (thread_.joinable()) {
      guard_.reset();
      loops_.front()->stop();
      thread_.join();
    }
    core_->shutdown();
    core_.reset();
    // The loops go last: a context nobody else holds destroys its pending handlers, hence the
    // connections they hold, while its services still exist.
  }

  void submit(HttpRequest request, std::function<void(HttpResponse)> done) override {
    auto target = parsed_http_url(request.url);
    if (!target) throw std::logic_error("asio http client: not a plain http:// URL");
    auto ex = std::make_shared<Exchange>();
    ex->loop = core_->pick_loop();
    ex->timeout = request.timeout;
    ex->max_response_bytes = request.max_response_bytes;
    ex->deadline = ex->started + request.timeout;
    ex->fresh = request.send_once;
    ex->retried = request.send_once;
    ex->done = std::move(done);
    ex->refused = header_line_break(request);
    ex->wire = http::request_wire(request.method, target->path, target->host_header,
                                  request.headers, std::move(request.body));
    ex->target = std::move(target);
    core_->submit(std::move(ex));
  }

 private:
  std::vector<std::shared_ptr<net::io_context>> loops_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard_;
  std::thread thread_;
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<HttpClient> make_asio_http_client(
    int max_connections, std::vector<std::shared_ptr<net::io_context>> loops) {
  return std::make_unique<AsioHttpClient>(max_connections, std::move(loops));
}

}  // namespace tunecase::asio_http
