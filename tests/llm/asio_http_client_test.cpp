#include "tunecase/llm/asio_http_client.h"

#include <gtest/gtest.h>

#include <utility>  // before Asio: Boost 1.74 misses it

#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tunecase/http/server.h"
#include "tunecase/llm/http_client.h"

namespace tunecase {
namespace {

using asio_http::parse_http_url;

TEST(ParseHttpUrl, SplitsHostPortAndTarget) {
  auto t = parse_http_url("http://127.0.0.1:8080/v1/chat/completions?x=1#frag");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, "8080");
  EXPECT_EQ(t->host_header, "127.0.0.1:8080");
  EXPECT_EQ(t->path, "/v1/chat/completions?x=1");

  t = parse_http_url("HTTP://gpu-box.internal");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "gpu-box.internal");
  EXPECT_EQ(t->port, "80");
  EXPECT_EQ(t->path, "/");

  t = parse_http_url("http://[::1]:11434?q");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, "11434");
  EXPECT_EQ(t->host_header, "[::1]:11434");
  EXPECT_EQ(t->path, "/?q");
}

TEST(ParseHttpUrl, LeavesEverythingElseToLibcurl) {
  for (const char* url :
       {"https://api.openai.com/v1", "http://", "http:///path", "http://user:pw@host/",
        "http://host:/x", "http://host:0/", "http://host:65536/", "http://host:8a/", "http://[::1/",
        "http://[::1]x/", "ftp://host/", "127.0.0.1:8080/v1"})
    EXPECT_FALSE(parse_http_url(url)) << url;
}

// A real server on loopback whose handler the test chooses, with counters.
class AsioClientTest : public ::testing::Test {
 protected:
  void start(http::Handler handler, http::ServerOptions options = {}) {
    server_ = std::make_unique<http::Server>(std::move(options), std::move(handler));
    port_ = server_->start();
  }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  static http::Response text(std::string body) {
    http::Response r;
    r.status = 200;
    r.body = std::move(body);
    return r;
  }
  std::unique_ptr<HttpClient> client(
      int max_connections = 16, std::vector<std::shared_ptr<boost::asio::io_context>> loops = {}) {
    HttpClientOptions options;
    options.max_connections = max_connections;
    options.loops = std::move(loops);
    return make_http_client(std::move(options));
  }
  HttpRequest get(const std::string& path = "/") const {
    HttpRequest r;
    r.method = "GET";
    r.url = url(path);
    return r;
  }
  std::unique_ptr<http::Server> server_;
  int port_ = 0;
};

TEST_F(AsioClientTest, KeepsOneConnectionAliveAcrossSequentialRequests) {
  start([](http::Request q, http::Responder r) { r.respond(text("echo " + q.target)); });
  auto c = client();
  for (int i = 0; i < 50; ++i) {
    auto response = http_send_sync(*c, get("/item/" + std::to_string(i)));
    ASSERT_EQ(response.status, 200) << response.transport_error;
    EXPECT_EQ(response.body, "echo /item/" + std::to_string(i));
  }
  EXPECT_EQ(server_->stats().connections, 1u);
  EXPECT_EQ(server_->stats().requests, 50u);
}

TEST_F(AsioClientTest, SendsMethodHeadersAndBody) {
  std::mutex mutex;
  http::Request seen;
  start([&](http::Request q, http::Responder r) {
    {
      std::lock_guard lock(mutex);
      seen = q;
    }
    r.respond(text("ok"));
  });
  auto c = client();
  HttpRequest request;
  request.method = "PUT";
  request.url = url("/v1/things?x=1");
  request.headers = {{"Content-Type", "application/json"}, {"X-Trace", "abc"}};
  request.body = R"({"a":1})";
  auto response = http_send_sync(*c, request);
  ASSERT_EQ(response.status, 200) << response.transport_error;
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.method, "PUT");
  EXPECT_EQ(seen.target, "/v1/things?x=1");
  EXPECT_EQ(seen.body, R"({"a":1})");
  EXPECT_EQ(seen.headers.get("x-trace"), "abc");
  EXPECT_EQ(seen.headers.get("host"), "127.0.0.1:" + std::to_string(port_));
}

TEST_F(AsioClientTest, SendsAgainOnANewConnectionWhenTheServerClosedAnIdleOne) {
  http::ServerOptions options;
  options.read_timeout = std::chrono::milliseconds(100);  // idle keep-alive closed after 0.1 s
  start([](http::Request, http::Responder r) { r.respond(text("fresh")); }, options);
  auto c = client();
  ASSERT_EQ(http_send_sync(*c, get()).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto response = http_send_sync(*c, get());
  EXPECT_EQ(response.status, 200) << response.transport_error;
  EXPECT_EQ(response.body, "fresh");
  EXPECT_EQ(server_->stats().connections, 2u);
}

TEST_F(AsioClientTest, AConnectionCloseAnswerIsNotReused) {
  start([](http::Request, http::Responder r) {
    http::Response response = text("bye");
    response.close = true;
    r.respond(std::move(response));
  });
  auto c = client();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http_send_sync(*c, get()).body, "bye");
  EXPECT_EQ(server_->stats().connections, 3u);
}

TEST_F(AsioClientTest, NeverOpensMoreThanMaxConnectionsAndQueuesTheRest) {
  start([](http::Request, http::Responder r) {
    r.respond_after(std::chrono::milliseconds(50), text("slow"));
  });
  auto c = client(2);
  std::mutex mutex;
  std::condition_variable cv;
  int done = 0, ok = 0;
  for (int i = 0; i < 10; ++i) {
    c->submit(get(), [&](HttpResponse response) {
      std::lock_guard lock(mutex);
      ok += response.status == 200;
      ++done;
      cv.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done == 10; }));
  EXPECT_EQ(ok, 10);
  EXPECT_LE(server_->stats().connections, 2u);
}

TEST_F(AsioClientTest, AnIdleConnectionToAnotherHostMakesRoomForANewOne) {
  start([](http::Request, http::Responder r) { r.respond(text("first")); });
  http::Server other({}, [](http::Request, http::Responder r) { r.respond(text("second")); });
  const std::string other_url = "http://127.0.0.1:" + std::to_string(other.start()) + "/";
  auto c = client(1);  // one connection in all: the second host needs the first's
  for (int round = 0; round < 3; ++round) {
    auto response = http_send_sync(*c, get());
    ASSERT_EQ(response.status, 200) << response.transport_error;
    EXPECT_EQ(response.body, "first");
    HttpRequest to_other = get();
    to_other.url = other_url;
    to_other.timeout = std::chrono::milliseconds(2000);
    response = http_send_sync(*c, to_other);
    ASSERT_EQ(response.status, 200) << response.transport_error;
    EXPECT_EQ(response.body, "second");
  }
  EXPECT_EQ(server_->stats().connections, 3u);  // each round closed the idle one to the other
  EXPECT_EQ(other.stats().connections, 3u);
}

TEST_F(AsioClientTest, ARequestWaitingForAConnectionTimesOut) {
  start([](http::Request, http::Responder) {});  // never answers
  auto c = client(1);
  HttpRequest first = get();
  first.timeout = std::chrono::milliseconds(2000);
  std::atomic<bool> first_done{false};
  c->submit(first, [&](HttpResponse) { first_done = true; });
  HttpRequest second = get();
  second.timeout = std::chrono::milliseconds(200);
  auto response = http_send_sync(*c, second);
  EXPECT_TRUE(response.timed_out);
  EXPECT_EQ(response.transport_error, "timed out after 200 ms");
  EXPECT_LT(response.elapsed_ms, 1500);
  EXPECT_FALSE(first_done);
}

TEST_F(AsioClientTest, ResolvesHostNames) {
  start([](http::Request, http::Responder r) { r.respond(text("by name")); });
  auto c = client();
  HttpRequest request = get();
  request.url = "http://localhost:" + std::to_string(port_) + "/";
  auto response = http_send_sync(*c, request);
  EXPECT_EQ(response.body, "by name") << response.transport_error;
}

TEST_F(AsioClientTest, AnUnknownHostIsNamedInTheError) {
  auto c = client();
  HttpRequest request;
  request.method = "GET";
  request.url = "http://no-such-host.invalid:8000/v1/models";
  auto response = http_send_sync(*c, request);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.transport_error, "could not resolve host of no-such-host.invalid:8000");
}

TEST_F(AsioClientTest, ReadsLargeAnswers) {
  std::string big(3 << 20, 'x');
  start([&](http::Request, http::Responder r) { r.respond(text(big)); });
  auto c = client();
  auto response = http_send_sync(*c, get());
  ASSERT_EQ(response.status, 200) << response.transport_error;
  EXPECT_EQ(response.body.size(), big.size());
}

// The gateway's arrangement: the client runs on the server's own event loops. A handler that
// calls the upstream (here the same server, another route) and answers with what came back;
// the upstream call runs on the thread of the request that made it.
TEST_F(AsioClientTest, RunsOnTheServersOwnThreads) {
  std::unique_ptr<HttpClient> upstream_client;
  std::atomic<int> port{0};
  std::atomic<int> elsewhere{0};  // upstream answers handled on another thread than their request
  start([&](http::Request q, http::Responder r) {
    if (q.target == "/upstream") return r.respond(text("from upstream"));
    HttpRequest call;
    call.method = "GET";
    call.url = "http://127.0.0.1:" + std::to_string(port.load()) + "/upstream";
    upstream_client->submit(call, [&, r, caller = std::this_thread::get_id()](HttpResponse a) {
      if (std::this_thread::get_id() != caller) ++elsewhere;
      r.respond(text("relayed " + a.body));
    });
  });
  port = port_;
  upstream_client = client(8, server_->io_contexts());
  auto c = client();
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(http_send_sync(*c, get("/front")).body, "relayed from upstream");
  EXPECT_EQ(elsewhere.load(), 0);
  server_->stop();
  upstream_client.reset();
}

// The limit holds across loops: each loop keeps its own connections, and a connection freed on
// one loop must reach a request waiting on another (by being closed and opened again there).
TEST_F(AsioClientTest, LoopsShareTheConnectionLimitAndNoRequestIsStranded) {
  std::unique_ptr<HttpClient> upstream_client;
  std::atomic<int> port{0};
  http::ServerOptions options;
  options.threads = 4;
  std::atomic<int> upstream_now{0}, upstream_most{0};
  start(
      [&](http::Request q, http::Responder r) {
        if (q.target == "/upstream") {  // answered 2 ms later, counted in flight until then
          int now = ++upstream_now;
          int most = upstream_most.load();
          while (now > most && !upstream_most.compare_exchange_weak(most, now)) {
          }
          std::thread([r, &upstream_now] {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            --upstream_now;
            r.respond(text("up"));
          }).detach();
          return;
        }
        HttpRequest call;
        call.method = "GET";
        call.url = "http://127.0.0.1:" + std::to_string(port.load()) + "/upstream";
        call.timeout = std::chrono::milliseconds(20000);
        upstream_client->submit(call, [r](HttpResponse a) {
          r.respond(text(a.status == 200 ? a.body : "failed: " + a.transport_error));
        });
      },
      options);
  port = port_;
  upstream_client = client(2, server_->io_contexts());  // two connections for four loops
  auto front = client(32);
  std::mutex mutex;
  std::condition_variable cv;
  int done = 0, relayed = 0;
  constexpr int kRequests = 400;
  for (int i = 0; i < kRequests; ++i)
    front->submit(get("/front"), [&](HttpResponse a) {
      std::lock_guard lock(mutex);
      relayed += a.body == "up";
      ++done;
      cv.notify_one();
    });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return done == kRequests; }));
  }
  EXPECT_EQ(relayed, kRequests);
  // A connection carries one request at a time: never more than two upstream calls at once.
  EXPECT_LE(upstream_most.load(), 2);
  EXPECT_GE(upstream_most.load(), 1);
  server_->stop();
  upstream_client.reset();
}

// The gateway's shutdown: the server stops its loops, then the client goes, then the loops (the
// last holder). Connections live on both loops and requests are still open on both; each
// connection must go with its own loop, never with another loop's teardown (AddressSanitizer
// watches).
TEST_F(AsioClientTest, AClientOnSeveralStoppedLoopsGoesWithThem) {
  std::unique_ptr<HttpClient> upstream_client;
  std::atomic<int> port{0};
  http::ServerOptions options;
  options.threads = 2;
  start(
      [&](http::Request q, http::Responder r) {
        if (q.target == "/upstream") return r.respond(text("up"));
        if (q.target == "/hang") return;  // never answered
        HttpRequest call;
        call.method = "GET";
        call.url = "http://127.0.0.1:" + std::to_string(port.load()) +
                   (q.target == "/front-hang" ? "/hang" : "/upstream");
        upstream_client->submit(call, [r](HttpResponse a) { r.respond(text(a.body)); });
      },
      options);
  port = port_;
  upstream_client = client(64, server_->io_contexts());
  auto front = client(16);  // 16 connections to the front, dealt to both loops
  std::mutex mutex;
  std::condition_variable cv;
  int done = 0;
  for (int i = 0; i < 16; ++i)
    front->submit(get("/front"), [&](HttpResponse) {
      std::lock_guard lock(mutex);
      ++done;
      cv.notify_one();
    });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done == 16; }));
  }
  for (int i = 0; i < 4; ++i) front->submit(get("/front-hang"), [](HttpResponse) {});  // both loops
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server_->stop();
  upstream_client.reset();
  server_.reset();
  front.reset();
}

TEST_F(AsioClientTest, AClientOnAStoppedServersContextCompletesWhatIsOpen) {
  start([](http::Request, http::Responder) {});  // never answers
  auto c = client(4, server_->io_contexts());
  std::atomic<int> calls{0};
  std::string error;
  c->submit(get(), [&](HttpResponse response) {
    error = response.transport_error;
    ++calls;
  });
  ASSERT_TRUE([&] {
    for (int i = 0; i < 500 && server_->stats().in_flight == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return server_->stats().in_flight == 1;
  }());
  server_->stop();
  EXPECT_EQ(calls.load(), 0);
  c.reset();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(error, "client shut down");
}

}  // namespace
}  // namespace tunecase
