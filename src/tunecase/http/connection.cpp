#include "tunecase/http/connection.h"

#include "tunecase/http/wire.h"

#include <fmt/format.h>

#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <iterator>
#include <optional>

namespace tunecase::http::detail {
namespace {

// Beast's words for a request it cannot read ("bad chunk"), with what was wrong and what to
// send instead: what a client library that misframes its requests needs to hear.
std::string parse_error_text(const boost::system::error_code& ec) {
  namespace bhttp = boost::beast::http;
  if (ec == bhttp::error::bad_chunk || ec == bhttp::error::bad_chunk_extension)
    return "a chunk of the chunked body is not framed as HTTP/1.1 chunked encoding says (a "
           "size line in hex, CRLF, exactly that many bytes, CRLF); send the body with "
           "Content-Length instead, or fix the chunking.";
  if (ec == bhttp::error::bad_content_length)
    return "the Content-Length header is not one whole number of bytes (a sign, two values "
           "that differ, a number past 64 bits, or not a number); send one Content-Length with "
           "the body's size.";
  if (ec == bhttp::error::bad_transfer_encoding)
    return "Transfer-Encoding cannot be read (with Content-Length beside it, in two header "
           "lines, or with a coding other than chunked last); send one Transfer-Encoding: "
           "chunked line, or Content-Length alone.";
  if (ec == bhttp::error::bad_field || ec == bhttp::error::bad_value)
    return "a header line is not \"Name: value\" (a space before the colon, or a character a "
           "header may not hold); fix the header.";
  if (ec == bhttp::error::bad_line_ending)
    return "lines must end with CRLF (\\r\\n); a bare CR or LF was sent.";
  if (ec == bhttp::error::bad_version)
    return "the request line does not end with HTTP/1.0 or HTTP/1.1 and CRLF (a bare LF line "
           "ending reads this way too).";
  if (ec == bhttp::error::bad_method || ec == bhttp::error::bad_target)
    return "the request line is not \"METHOD /path HTTP/1.1\".";
  return ec.message() + ".";
}

// A line feed not preceded by a carriage return.
bool has_bare_lf(std::string_view bytes) {
  for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1))
    if (i == 0 || bytes[i - 1] != '\r') return true;
  return false;
}

// The header block at the front of `bytes`: up to its first empty line, in any line ending.
std::string_view header_block(std::string_view bytes) {
  std::size_t end = bytes.size();
  for (std::string_view blank : {"\r\n\r\n", "\n\n", "\n\r\n"})
    end = std::min(
        end, bytes.find(blank) == std::string_view::npos ? end : bytes.find(blank) + blank.size());
  return bytes.substr(0, end);
}

// A carriage return not followed by a line feed (one at the very end may be waiting for it).
bool has_bare_cr(std::string_view bytes) {
  for (std::size_t i = bytes.find('\r'); i != std::string_view::npos; i = bytes.find('\r', i + 1))
    if (i + 1 < bytes.size() && bytes[i + 1] != '\n') return true;
  return false;
}

// A bare LF or CR in `bytes`, said as what HTTP/1.1 asks instead, `where` it was sent; nullopt
// when every line there ends in CRLF.
std::optional<std::string> line_ending_fault(std::string_view bytes, std::string_view where) {
  const char* which = has_bare_lf(bytes) ? "LF" : has_bare_cr(bytes) ? "CR" : nullptr;
  if (which == nullptr) return std::nullopt;
  return fmt::format("lines must end with CRLF (\\r\\n); a bare {} was sent{}.", which, where);
}

constexpr std::string_view kInFraming =
    " in the chunked body's framing (a chunk's size line, the CRLF after its data, the last "
    "chunk or the trailers)";

// How many lines of `block` are header fields named `name` (any letter case).
int fields_named(std::string_view block, std::string_view name) {
  int n = 0;
  for (std::size_t start = 0; start < block.size();) {
    const std::string_view line = block.substr(start);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        beast::iequals(beast::string_view(line.data(), name.size()),
                       beast::string_view(name.data(), name.size())))
      ++n;
    const std::size_t end = block.find('\n', start);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return n;
}

std::string_view buffered(const beast::flat_buffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

// After answering a request whose body was not read (413, 431, 400) the connection reads and
// discards what the client still sends, for at most this long, before closing: closing with
// unread bytes makes the kernel reset the connection, and the client may lose the answer.
constexpr auto kLinger = std::chrono::seconds(2);
constexpr std::size_t kDrainChunk = 4096;
// Room in the read buffer past a request's header and body limits: Beast reads 64 KiB at a time.
constexpr std::size_t kReadAhead = 64 << 10;
// A body is read a chunk at a time; one up to kSmallBody is never refused for the budget of
// bodies being received (ServerOptions::max_body_bytes_receiving).
constexpr std::size_t kBodyChunk = 16 << 10;
constexpr std::size_t kSmallBody = 64 << 10;
// A request unanswered after this long starts watching for its client hanging up. Not at once:
// the watch changes the socket's registration with the kernel (a system call per request, and
// another for the next read), which answers within milliseconds do not need. Nor too soon: on a
// busy kept-alive connection each request's wait arms the connection's timer this far ahead,
// and the timer fires (and re-arms) once per this interval.
constexpr auto kWatchHangupAfter = std::chrono::milliseconds(250);

bool is_parse_error(const beast::error_code& ec) {
  static const auto& category = bhttp::make_error_code(bhttp::error::bad_method).category();
  return ec.category() == category && ec != bhttp::error::end_of_stream &&
         ec != bhttp::error::partial_message;
}

// A request target in origin form ("/v1/classify?x"). The absolute form (RFC 9112 3.2.2,
// "POST http://host:port/v1/classify") is taken as the path and query after the authority.
std::string origin_form(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() &&
        beast::iequals(beast::string_view(target.data(), scheme.size()),
                       beast::string_view(scheme.data(), scheme.size()))) {
      std::size_t path = target.find_first_of("/?", scheme.size());
      if (path == std::string_view::npos) return "/";
      std::string out(target.substr(path));
      if (out.front() == '?') out.insert(0, "/");
      return out;
    }
  }
  return std::string(target);
}

Request to_request(bhttp::request<bhttp::string_body>&& message, const std::string& remote) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = origin_form(std::string_view(message.target().data(), message.target().size()));
  std::size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message)
    request.headers.add(std::string(field.name_string()), std::string(field.value()));
  request.body = std::move(message.body());
  request.version = static_cast<int>(message.version());
  request.remote_address = remote;
  return request;
}

}  // namespace

Connection::Connection(Socket socket, std::shared_ptr<ServerCore> core)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), core_(std::move(core)) {
  // Beast's limits hold the header block and the body, not a chunk's size line or the trailers:
  // without a cap on the buffer, a chunk extension or a trailer line without an end grew it
  // without bound. A read past this is the parser's buffer_overflow (413).
  buffer_.max_size(core_->options.max_header_bytes + core_->options.max_body_bytes + kReadAhead);
  beast::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) remote_address_ = endpoint.address().to_string();
}

void Connection::start() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->read(); });
}

void Connection::set_deadline(Phase phase, Clock::time_point deadline) {
  phase_ = phase;
  deadline_ = deadline;
  if (deadline < armed_) arm(deadline);
}

void Connection::arm(Clock::time_point at) {
  armed_ = at;
  auto generation = ++timer_generation_;
  timer_.expires_at(at);  // cancels a wait still pending: its handler sees a later generation
  timer_.async_wait(
      [self = shared_from_this(), generation](beast::error_code) { self->on_timer(generation); });
}

void Connection::on_timer(uint64_t generation) {
  if (generation != timer_generation_ || closed_) return;
  armed_ = Clock::time_point::max();
  if (deadline_ == Clock::time_point::max()) return;
  if (Clock::now() < deadline_) return arm(deadline_);  // armed for an earlier phase's deadline
  deadline_ = Clock::time_point::max();
  on_deadline();
}

void Connection::on_deadline() {
  switch (phase_) {
    case Phase::kReading:  // the client sent nothing, or too slowly
      // Part of a request arrived: the client is told why it is cut off (the pending read is
      // cancelled, and ends in nothing).
      if (parser_ && (parser_->got_some() || buffer_.size() > 0)) {
        reading_given_up_ = true;
        beast::error_code ignored;
        socket_.cancel(ignored);
        release_body();
        ++core_->requests;
        ++core_->slow;
        if (parser_->is_header_done()) version_ = parser_->get().version();
        keep_alive_ = false;
        return reject(408,
                      fmt::format("The request did not all arrive within {} ms; send it whole.",
                                  core_->options.read_timeout.count()),
                      AfterWrite::kClose);
      }
      return close();
    case Phase::kWriting:  // the client does not read its answer
    case Phase::kLingering:
      return close();
    case Phase::kAwaiting:
      watch_for_hangup();
      return set_deadline(Phase::kAwaitingWatch, answer_due_);
    case Phase::kAwaitingWatch:
      ++core_->timed_out;
      if (exchange_) exchange_->abandoned = true;
      return reject(504,
                    fmt::format("No answer within {} ms.", core_->options.response_timeout.count()),
                    AfterWrite::kClose);
    case Phase::kDelaying: {
      Response response = std::move(*delayed_);
      delayed_.reset();
      return on_answer(std::move(response));
    }
  }
}

void Connection::read() {
  head_ = false;
  parser_.emplace();
  parser_->body_limit(core_->options.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(core_->options.max_header_bytes));
  set_deadline(Phase::kReading, Clock::now() + core_->options.read_timeout);
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Connection::on_header(beast::error_code ec) {
  if (closed_ || reading_given_up_) return;
  if (ec) return on_read(ec);
  const auto& header = parser_->get();
  // RFC 9112 6.3: a request whose transfer codings do not end in chunked has a body of unknown
  // length (400, and the connection closed: its bytes would be read as the next request), and
  // a coding other than chunked is one this server does not decode (501).
  if (auto te = header.find(bhttp::field::transfer_encoding); te != header.end()) {
    const std::string value(te->value());
    const std::vector<std::string_view> codings = field_items(value);
    const bool chunked_last = !codings.empty() && equals_ignoring_case(codings.back(), "chunked");
    // HTTP/1.0 has no transfer codings (RFC 9112 6.1): its framing is faulty, and a front end
    // speaking 1.0 would read the chunked body as the next request.
    std::optional<std::pair<int, std::string>> refusal;
    // Two lines are one list (RFC 9110 5.3), but the first alone had been judged ("gzip does not
    // end in chunked" for gzip then chunked): said as what it is.
    if (const auto lines = header.count(bhttp::field::transfer_encoding); lines > 1)
      refusal = {400, fmt::format("Transfer-Encoding in {} header lines; send one line, "
                                  "Transfer-Encoding: chunked.",
                                  lines)};
    else if (header.version() < 11)
      refusal = {400,
                 "Transfer-Encoding in an HTTP/1.0 request: send the body with a Content-Length, "
                 "or speak HTTP/1.1."};
    else if (!chunked_last)
      refusal = {400, fmt::format("Transfer-Encoding: {} does not end in chunked: the body's "
                                  "length cannot be known; send it chunked or with a "
                                  "Content-Length.",
                                  value)};
    else if (std::any_of(codings.begin(), codings.end() - 1,
                         [](std::string_view c) { return equals_ignoring_case(c, "chunked"); }))
      // RFC 9112 6.1: chunked is applied once; twice is faulty framing, not a coding to decode.
      refusal = {400, fmt::format("Transfer-Encoding: {} applies chunked more than once; send "
                                  "it once (Transfer-Encoding: chunked).",
                                  value)};
    else if (codings.size() > 1)
      refusal = {501, fmt::format("Transfer-Encoding: {}: only chunked is decoded here; send the "
                                  "body chunked or with a Content-Length.",
                                  value)};
    if (refusal) {
      ++core_->requests;
      ++core_->malformed;
      version_ = header.version();
      keep_alive_ = false;
      return reject(refusal->first, refusal->second, AfterWrite::kClose);
    }
  }
  if (parser_->is_done()) return on_read(ec);
  auto expect = header.find(bhttp::field::expect);
  if (expect != header.end() && beast::iequals(expect->value(), "100-continue") &&
      header.version() >= 11 && buffer_.size() == 0) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->read_body();
                     });
    return;
  }
  read_body();
}

void Connection::read_body() {
  // What the buffer holds is parsed here, on this pass of the loop; a read is started only for
  // a body still on its way.
  beast::error_code ec;
  parser_->eager(true);
  try {
    while (!parser_->is_done() && buffer_.size() > 0) {
      std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      if (ec || used == 0) break;
    }
  } catch (const std::exception&) {
    // Beast throws for a trailer field past what a field may hold (std::length_error "field
    // value too large"): the header limit does not cover trailers, and the exception had ended
    // the whole gateway. Refused as an oversized header block is.
    ++core_->requests;
    ++core_->too_large;
    version_ = parser_->get().version();
    keep_alive_ = false;
    return reject(431, "Request trailer fields too large: send the body's trailers short, or none.",
                  AfterWrite::kClose);
  }
  if (ec || parser_->is_done()) return on_read(ec);
  // What the parser left of a chunked body is framing (a size line, the CRLF after a chunk, the
  // last chunk, the trailers), where a bare LF or CR is never right: said now, not a 408 after
  // read_timeout while the parser waits for a CRLF that will not come.
  if (std::optional<std::string> fault;
      parser_->chunked() && (fault = line_ending_fault(buffered(buffer_), kInFraming))) {
    ++core_->requests;
    ++core_->malformed;
    version_ = parser_->get().version();
    keep_alive_ = false;
    return reject(400, "Malformed HTTP request: " + *fault, AfterWrite::kLinger);
  }
  if (!hold_body()) return;
  // Read by hand, a chunk at a time, so that each chunk's bytes are held against the budget as
  // they arrive (a composed read would hold the whole body before saying anything).
  // A chunk's size line or trailers that never end fill the buffer: refused as a composed read
  // would (413), never grown past its limit.
  const std::size_t room = buffer_.max_size() - buffer_.size();
  if (room == 0) return on_read(bhttp::error::buffer_overflow);
  socket_.async_read_some(buffer_.prepare(std::min(kBodyChunk, room)),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            if (self->closed_ || self->reading_given_up_) return;
                            if (ec) return self->on_read(ec);
                            self->buffer_.commit(n);
                            self->read_body();
                          });
}

bool Connection::hold_body() {
  const auto& o = core_->options;
  const std::size_t have = parser_->get().body().size();
  const std::size_t total = core_->body_bytes_receiving += have - body_reserved_;
  body_reserved_ = have;
  // A small body is never refused: the budget is for the uploads that hold memory, and a
  // stalled one must not stop the short requests of everyone else.
  if (have <= kSmallBody || total <= o.max_body_bytes_receiving) return true;
  release_body();
  ++core_->requests;
  ++core_->overloaded;
  version_ = parser_->get().version();
  keep_alive_ = false;
  reject(503,
         fmt::format("Over {} MiB of request bodies being received, this one over {} KiB; "
                     "retry after {} s.",
                     o.max_body_bytes_receiving >> 20, kSmallBody >> 10, o.retry_after_s),
         AfterWrite::kLinger);
  return false;
}

void Connection::release_body() {
  if (body_reserved_ == 0) return;
  core_->body_bytes_receiving -= body_reserved_;
  body_reserved_ = 0;
}

void Connection::on_read(beast::error_code ec) {
  if (closed_ || reading_given_up_) return;
  release_body();
  const auto& o = core_->options;
  if (ec == bhttp::error::body_limit) {
    ++core_->requests;
    ++core_->too_large;
    version_ = parser_->get().version();
    return reject(413,
                  fmt::format("Request body over {} bytes.{}", o.max_body_bytes,
                              o.body_limit_hint.empty() ? "" : " " + o.body_limit_hint),
                  AfterWrite::kLinger);
  }
  if (ec == bhttp::error::buffer_overflow) {  // a chunk line or trailers without an end
    ++core_->requests;
    ++core_->too_large;
    return reject(413,
                  fmt::format("Request over {} bytes (a chunk's size line or the trailers never "
                              "ended).",
                              buffer_.max_size()),
                  AfterWrite::kClose);
  }
  if (ec == bhttp::error::header_limit) {
    ++core_->requests;
    ++core_->too_large;
    return reject(431, fmt::format("Request header fields over {} bytes.", o.max_header_bytes),
                  AfterWrite::kLinger);
  }
  if (is_parse_error(ec) && !parser_->is_header_done()) {
    // RFC 9112 2.2: empty lines before a request line are ignored (some clients send a CRLF
    // after a POST's body); they had been a 400 "the request line is not ...". Up to two, so
    // that a stream of them is not a way to hold a connection open past its read time-out.
    const std::string_view rest = buffered(buffer_);
    const std::size_t text = rest.find_first_not_of("\r\n");
    const std::size_t blank = std::min(text, rest.size());
    if (blank > 0 && blank <= 4 && rest.substr(0, blank).find('\n') != std::string_view::npos) {
      buffer_.consume(text == std::string_view::npos ? rest.size() : text);
      return read();
    }
  }
  if (is_parse_error(ec)) {
    ++core_->requests;
    ++core_->malformed;
    std::string why = parse_error_text(ec);
    const std::string_view rest = buffered(buffer_);
    if (!parser_->is_header_done()) {
      const std::string_view block = header_block(rest);
      // The fields Beast read before the one it failed at are in the message, not the buffer.
      const auto& fields = parser_->get();
      const int te = static_cast<int>(fields.count(bhttp::field::transfer_encoding)) +
                     fields_named(block, "transfer-encoding");
      const int cl = static_cast<int>(fields.count(bhttp::field::content_length)) +
                     fields_named(block, "content-length");
      // Beast reads a bare LF inside the header block as a character a header may not hold,
      // and names that, which sends the client looking for a space before a colon.
      if (std::optional<std::string> fault = line_ending_fault(block, ""))
        why = *fault;
      else if (te > 0 && cl > 0)
        why =
            "both Content-Length and Transfer-Encoding were sent; send one: Content-Length "
            "with the body's size, or Transfer-Encoding: chunked alone.";
      else if (te > 1)
        why = fmt::format(
            "Transfer-Encoding in {} header lines; send one line, Transfer-Encoding: chunked.", te);
    } else if (ec == bhttp::error::bad_content_length ||
               ec == bhttp::error::bad_transfer_encoding) {
      why =
          "the chunked body's trailers hold a Content-Length or Transfer-Encoding field, which "
          "trailers may not carry; leave it out.";
    } else if (std::optional<std::string> fault =
                   line_ending_fault(header_block(rest), kInFraming)) {
      // The chunk framing Beast stopped at (a size line, the CRLF after a chunk's data, a
      // trailer) holds a bare LF or CR, whatever the bytes after it (a pipelined request).
      why = *fault;
    }
    return reject(400, "Malformed HTTP request: " + why, AfterWrite::kLinger);
  }
  if (ec) return close();  // the client hung up, or sent nothing for read_timeout
  dispatch(parser_->release());
}

void Connection::dispatch(bhttp::request<bhttp::string_body> message) {
  ++core_->requests;
  version_ = message.version();
  keep_alive_ = message.keep_alive();
  head_ = message.method() == bhttp::verb::head;
  const auto& o = core_->options;
  // HTTP/1.1 asks one Host header of every request, and a server to refuse the rest (RFC 9112,
  // 3.2): two that differ are how requests get smuggled past a proxy.
  if (version_ >= 11) {
    if (const std::size_t hosts = message.count(bhttp::field::host); hosts != 1) {
      ++core_->malformed;
      return reject(400,
                    hosts == 0 ? "HTTP/1.1 request without a Host header; send Host: with the "
                                 "address you called (every HTTP/1.1 client library does)."
                               : "HTTP/1.1 request with more than one Host header; send one.",
                    AfterWrite::kLinger);
    }
  }
  if (core_->stopping) {
    ++core_->overloaded;
    return reject(503, "The server is shutting down; retry shortly.", AfterWrite::kClose);
  }
  const std::string target =
      origin_form(std::string_view(message.target().data(), message.target().size()));
  const bool always = std::find(o.always_answered.begin(), o.always_answered.end(),
                                target.substr(0, target.find('?'))) != o.always_answered.end();
  if (!always && core_->in_flight.fetch_add(1) >= o.max_in_flight) {
    --core_->in_flight;
    ++core_->overloaded;
    return reject(503,
                  fmt::format("Over {} requests in flight; retry after {} s.", o.max_in_flight,
                              o.retry_after_s),
                  AfterWrite::kKeepAlive);
  }
  ++core_->handled;
  exchange_ = std::make_shared<Exchange>();
  exchange_->counted = !always;
  exchange_->core = core_;
  exchange_->connection = weak_from_this();
  auto exchange = exchange_;
  try {
    core_->handler(to_request(std::move(message), remote_address_), Responder(exchange));
  } catch (const std::exception&) {
    // The message may hold internal detail; the client gets a plain 500.
    Responder(exchange).respond(core_->error_page(500, "Internal server error."));
  }
  // Still on the loop: a handler that answered at once has been answered (deliver() ran its
  // answer here, inline) and the exchange is over; only a request still waiting pays for a
  // deadline and a hang-up watch. An answer from another thread meanwhile queues on the loop
  // and runs after this.
  if (exchange == exchange_ && !closed_ && !exchange->answered) await_answer();
}

// The read timeout does not run while the handler works: first the wait until the hang-up
// watch starts, then until the 504. Most answers (a local model, a fast upstream) come before
// the watch would, and never pay for it.
void Connection::await_answer() {
  auto now = Clock::now();
  auto timeout = core_->options.response_timeout;
  answer_due_ = now + timeout;
  if (timeout <= kWatchHangupAfter) return set_deadline(Phase::kAwaitingWatch, answer_due_);
  set_deadline(Phase::kAwaiting, now + kWatchHangupAfter);
}

// A client that gives up closes its connection; noticing that frees the request's slot at once
// instead of at response_timeout.
void Connection::watch_for_hangup() {
  socket_.async_wait(
      Socket::wait_read, [self = shared_from_this(), exchange = exchange_](beast::error_code ec) {
        if (exchange != self->exchange_ || self->closed_) return;
        if (!ec) {
          switch (self->peer_state()) {
            case Peer::kSending:  // the next (pipelined) request, read after this answer
              return;
            case Peer::kQuiet:  // the readiness was stale (an edge the request read consumed)
              return self->watch_for_hangup();
            case Peer::kGone:
              break;
          }
        }
        ++self->core_->abandoned;
        self->close();
      });
}

// Readiness alone does not tell a hang-up: the reactor may report an edge whose bytes the
// request read already consumed. A one-byte peek that does not wait tells the three apart.
Connection::Peer Connection::peer_state() {
  char byte = 0;
  ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return Peer::kSending;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return Peer::kQuiet;
  return Peer::kGone;  // end of stream, or the connection was reset
}

void Connection::deliver(std::shared_ptr<Exchange> exchange, Response response,
                         std::chrono::microseconds delay) {
  // dispatch, not post: on the connection's own loop thread (an upstream answer arriving, or
  // a handler answering at once) the answer is written right here, without waking another
  // thread to do it; from any other thread it is queued on that loop.
  net::dispatch(socket_.get_executor(), [self = shared_from_this(), exchange = std::move(exchange),
                                         response = std::move(response), delay]() mutable {
    if (exchange != self->exchange_ || self->closed_) return;
    if (delay.count() <= 0) return self->on_answer(std::move(response));
    // The answer is known: its delay replaces the response deadline.
    self->delayed_ = std::move(response);
    self->set_deadline(Phase::kDelaying, Clock::now() + delay);
  });
}

void Connection::on_answer(Response response) {
  end_exchange();
  bool keep = keep_alive_ && !response.close && !core_->stopping;
  write(std::move(response), keep ? AfterWrite::kKeepAlive : AfterWrite::kClose);
}

void Connection::reject(int status, const std::string& message, AfterWrite after) {
  end_exchange();
  Response response = core_->error_page(status, message);
  if (status == 503)
    response.headers.set("Retry-After", std::to_string(core_->options.retry_after_s));
  if (!keep_alive_) after = std::max(after, AfterWrite::kClose);
  write(std::move(response), after);
}

void Connection::end_exchange() {
  if (!exchange_) return;
  exchange_->abandoned = exchange_->abandoned || !exchange_->answered;
  const bool counted = exchange_->counted;
  exchange_.reset();
  if (counted) --core_->in_flight;
}

void Connection::write(Response response, AfterWrite after) {
  after_write_ = after;
  // A HEAD answer has the GET answer's header (its Content-Length included) and no body: the
  // body's bytes would be read as the start of the next answer on a kept-alive connection.
  const std::size_t body = head_ ? response.body.size() : 0;
  response_ = response_wire(std::move(response), version_, after == AfterWrite::kKeepAlive,
                            core_->options.server_name);
  response_.resize(response_.size() - body);
  set_deadline(Phase::kWriting, Clock::now() + core_->options.read_timeout);
  net::async_write(socket_, net::buffer(response_),
                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     if (ec) return self->close();
                     if (self->after_write_ == AfterWrite::kKeepAlive) return self->read();
                     if (self->after_write_ == AfterWrite::kLinger) return self->linger();
                     self->close();
                   });
}

void Connection::linger() {
  buffer_.consume(buffer_.size());  // what is left is discarded: drain() needs the room
  beast::error_code ignored;
  socket_.shutdown(Socket::shutdown_send, ignored);
  set_deadline(Phase::kLingering, Clock::now() + kLinger);
  drain();
}

void Connection::drain() {
  socket_.async_read_some(buffer_.prepare(kDrainChunk),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec) return self->close();
                            self->drain();  // discarded: nothing is committed to the buffer
                          });
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  release_body();
  end_exchange();
  ++timer_generation_;
  timer_.cancel();
  beast::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace tunecase::http::detail
