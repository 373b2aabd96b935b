#include "tunecase/http/server.h"

#include <fmt/format.h>

#include <stdexcept>

#include "tunecase/core/error.h"
#include "tunecase/http/connection.h"

namespace tunecase::http {

namespace beast = detail::beast;
namespace net = detail::net;
using detail::tcp;

namespace detail {

Response ServerCore::error_page(int status, const std::string& message) const {
  return options.error_page ? options.error_page(status, message)
                            : default_error_page(status, message);
}

void ServerCore::accept() {
  auto& loop = *loops[next_loop.fetch_add(1) % loops.size()];
  acceptor->async_accept(loop.get_executor(),
                         [self = shared_from_this()](beast::error_code ec, detail::Socket socket) {
                           if (ec == net::error::operation_aborted || !self->acceptor->is_open())
                             return;
                           if (ec) {
                             // Out of descriptors, most likely: try again shortly instead of
                             // spinning, and say so (at most every 10 s): new clients, health
                             // probes included, wait meanwhile.
                             ++self->accept_errors;
                             auto now = std::chrono::steady_clock::now();
                             if (now - self->accept_error_said > std::chrono::seconds(10)) {
                               self->accept_error_said = now;
                               fmt::print(stderr,
                                          "warning: cannot accept a connection ({}; {} so far): "
                                          "new clients wait; with too many open files, raise "
                                          "the limit (ulimit -n) or shorten idle connections\n",
                                          ec.message(), self->accept_errors);
                             }
                             self->accept_retry->expires_after(std::chrono::milliseconds(50));
                             self->accept_retry->async_wait([self](beast::error_code wait_error) {
                               if (!wait_error && self->acceptor->is_open()) self->accept();
                             });
                             return;
                           }
                           ++self->connections;
                           socket.set_option(tcp::no_delay(true), ec);
                           std::make_shared<Connection>(std::move(socket), self)->start();
                           self->accept();
                         });
}

}  // namespace detail

void Responder::respond(Response response) const {
  respond_after(std::chrono::microseconds(0), std::move(response));
}

void Responder::respond_after(std::chrono::microseconds delay, Response response) const {
  if (!exchange_) return;
  auto& core = *exchange_->core;
  // Under the lock, stop() cannot destroy the io_context between the check and the post, nor
  // while this thread holds the connection.
  std::shared_lock lock(core.post_mutex);
  if (core.stopped) return;
  // Held before `answered` is set: from then on the loop no longer keeps the connection
  // alive for this exchange, and this delivery must.
  auto connection = exchange_->connection.lock();
  if (!connection || exchange_->answered.exchange(true) || exchange_->abandoned) return;
  connection->deliver(exchange_, std::move(response), delay);
}

bool Responder::abandoned() const {
  return !exchange_ || exchange_->abandoned || exchange_->core->stopped;
}

bool Responder::answered() const {
  return exchange_ && exchange_->answered;
}

Server::Server(ServerOptions options, Handler handler)
    : core_(std::make_shared<detail::ServerCore>()) {
  core_->options = std::move(options);
  core_->handler = std::move(handler);
  for (int i = 0; i < std::max(1, core_->options.threads); ++i)
    core_->loops.push_back(std::make_shared<net::io_context>(1));
}

Server::~Server() {
  stop();
}

int Server::listen() {
  auto& c = *core_;
  if (c.acceptor) throw std::logic_error("http::Server::listen called twice");
  c.acceptor = std::make_unique<tcp::acceptor>(net::make_strand(*c.loops.front()));
  c.accept_retry = std::make_unique<net::steady_timer>(c.acceptor->get_executor());
  try {
    tcp::endpoint endpoint(net::ip::make_address(c.options.host),
                           static_cast<unsigned short>(c.options.port));
    c.acceptor->open(endpoint.protocol());
    c.acceptor->set_option(net::socket_base::reuse_address(true));
    c.acceptor->bind(endpoint);
    c.acceptor->listen(net::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    c.accept_retry.reset();
    c.acceptor.reset();
    throw UserError(fmt::format("cannot listen on {}:{}: {}", c.options.host, c.options.port,
                                e.code().message()));
  }
  return c.acceptor->local_endpoint().port();
}

int Server::start() {
  auto& c = *core_;
  if (c.started) throw std::logic_error("http::Server::start called twice");
  int port = c.acceptor ? c.acceptor->local_endpoint().port() : listen();
  c.started = true;
  c.accept();
  for (auto& loop : c.loops) {
    c.keep_running.push_back(net::make_work_guard(*loop));
    c.threads.emplace_back([io = loop.get()] { io->run(); });
  }
  return port;
}

void Server::stop_accepting(std::chrono::milliseconds grace, const std::function<bool()>& busy) {
  auto& c = *core_;
  if (c.loops.empty() || !c.acceptor) return;  // not started, or stopped already
  if (!c.stopping.exchange(true))
    net::post(c.acceptor->get_executor(), [core = core_] {
      beast::error_code ignored;
      core->acceptor->close(ignored);
      core->accept_retry->cancel();
    });
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (c.in_flight > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (busy) {
    deadline = std::chrono::steady_clock::now() + grace;
    while (busy() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void Server::stop(std::chrono::milliseconds grace, const std::function<bool()>& busy) {
  auto& c = *core_;
  if (c.loops.empty() || !c.acceptor) return;  // not started, or stopped already
  stop_accepting(grace, busy);
  {
    std::unique_lock lock(c.post_mutex);
    c.stopped = true;
  }
  c.keep_running.clear();
  for (auto& loop : c.loops) loop->stop();
  for (auto& t : c.threads) t.join();
  c.threads.clear();
  // Destroying the contexts destroys every pending handler, hence every connection and its
  // socket: requests still unanswered see their connection close.
  c.accept_retry.reset();
  c.acceptor.reset();
  c.loops.clear();
}

std::vector<std::shared_ptr<net::io_context>> Server::io_contexts() const {
  return core_->loops;
}

ServerStats Server::stats() const {
  const auto& c = *core_;
  return {c.connections.load(), c.requests.load(),   c.handled.load(),   c.too_large.load(),
          c.malformed.load(),   c.overloaded.load(), c.timed_out.load(), c.abandoned.load(),
          c.in_flight.load(),   c.slow.load()};
}

}  // namespace tunecase::http
