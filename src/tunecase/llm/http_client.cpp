#include "tunecase/llm/http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "tunecase/core/ascii_case.h"
#include "tunecase/core/trim.h"
#include "tunecase/llm/asio_http_client.h"
#include "tunecase/privacy/audit.h"

namespace tunecase {

bool says_out_of_credit(std::string_view text) {
  std::string lower(text.substr(0, 4096));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view sign : {"insufficient_quota", "exceeded your current quota",
                                "credit balance is too low", "insufficient credit"})
    if (lower.find(sign) != std::string::npos) return true;
  return false;
}

bool out_of_credit(const HttpResponse& r) {
  return r.status >= 400 && r.status < 500 && says_out_of_credit(r.body);
}
namespace {

using Clock = std::chrono::steady_clock;

// One request in flight: owns its easy handle and everything libcurl points into.
struct Transfer {
  HttpRequest request;
  std::function<void(HttpResponse)> done;
  HttpResponse response;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};
  Clock::time_point started = Clock::now();

  ~Transfer() {
    if (header_list) curl_slist_free_all(header_list);
    if (easy) curl_easy_cleanup(easy);
  }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->response.body.size() + size * count > t->request.max_response_bytes) {
    t->response.too_large = true;
    return 0;  // libcurl stops the transfer (CURLE_WRITE_ERROR)
  }
  t->response.body.append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& headers = static_cast<Transfer*>(user)->response.headers;
  std::string_view line(data, size * count);
  // A new status line starts a new header block (interim 100 responses, redirects).
  if (line.starts_with("HTTP/")) headers.clear();
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    headers[ascii_lower(trimmed(line.substr(0, colon)))] = trimmed(line.substr(colon + 1));
  }
  return size * count;
}

// "host:port" of a URL for error messages (never the path or query, which may hold secrets).
std::string host_port(const std::string& url) {
  CURLU* parsed = curl_url();
  std::string result = "the server";
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
      result = fmt::format("{}:{}", host, port);
    }
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(parsed);
  return result;
}

std::string describe_failure(const Transfer& t, CURLcode code) {
  auto target = host_port(t.request.url);
  if (t.response.too_large) return too_large_message(target, t.request.max_response_bytes);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return fmt::format("timed out after {} ms", t.request.timeout.count());
    case CURLE_COULDNT_CONNECT:
      return fmt::format("connection refused to {}", target);
    case CURLE_COULDNT_RESOLVE_HOST:
      return fmt::format("could not resolve host of {}", target);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
      return fmt::format("TLS failure with {}: {}", target, t.error_buffer);
    default: {
      std::string detail = t.error_buffer[0] ? t.error_buffer : curl_easy_strerror(code);
      return fmt::format("request to {} failed: {}", target, detail);
    }
  }
}

class CurlMultiClient final : public HttpClient {
 public:
  explicit CurlMultiClient(int max_connections) {
    static std::once_flag global_init;
    std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    if (!multi_) throw std::runtime_error("libcurl: curl_multi_init failed");
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(max_connections));
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(max_connections));
    io_thread_ = std::thread([this] { run(); });
  }

  ~CurlMultiClient() override {
    stopping_ = true;
    curl_multi_wakeup(multi_);
    io_thread_.join();
    curl_multi_cleanup(multi_);
  }

  void submit(HttpRequest request, std::function<void(HttpResponse)> done) override {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(request);
    t->done = std::move(done);
    {
      std::lock_guard lock(mutex_);
      incoming_.push_back(std::move(t));
    }
    curl_multi_wakeup(multi_);
  }

 private:
  void run() {
    while (!stopping_) {
      add_incoming();
      int running = 0;
      curl_multi_perform(multi_, &running);
      collect_finished();
      int ready = 0;
      curl_multi_poll(multi_, nullptr, 0, 1000, &ready);
    }
    shut_down();
  }

  void add_incoming() {
    std::deque<std::unique_ptr<Transfer>> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(incoming_);
    }
    for (auto& t : batch) {
      if (!configure(*t)) {
        finish(std::move(t));
        continue;
      }
      curl_multi_add_handle(multi_, t->easy);
      Transfer* raw = t.get();
      active_.emplace(raw->easy, std::move(t));
    }
  }

  // False when the request cannot even start (its response then carries the reason).
  static bool configure(Transfer& t) {
    t.easy = curl_easy_init();
    if (!t.easy) {
      t.response.transport_error = "libcurl could not create a handle";
      return false;
    }
    CURL* e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, t.request.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t.request.timeout.count()));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    if (t.request.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(t.request.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.request.body.data());
      if (t.request.method != "POST")
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t.request.method.c_str());
    }
    if (std::string refused = header_line_break(t.request); !refused.empty()) {
      t.response.transport_error = std::move(refused);
      t.response.local_fault = true;
      t.response.copies_sent = 0;
      return false;
    }
    for (const auto& [name, value] : t.request.headers) {
      auto line = fmt::format("{}: {}", name, value);
      t.header_list = curl_slist_append(t.header_list, line.c_str());
    }
    if (t.request.send_once) {  // libcurl, too, resends a request whose reused connection died
      curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
      curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    }
    // Without this, libcurl waits up to a second for "100 Continue" before sending a body.
    t.header_list = curl_slist_append(t.header_list, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
    return true;
  }

  void collect_finished() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      auto it = active_.find(msg->easy_handle);
      if (it == active_.end()) continue;
      auto t = std::move(it->second);
      active_.erase(it);
      curl_multi_remove_handle(multi_, t->easy);
      CURLcode code = msg->data.result;
      if (code == CURLE_OK) {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->response.status);
      } else {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->response.status_before_failure);
        t->response.status = 0;
        t->response.timed_out = code == CURLE_OPERATION_TIMEDOUT;
        t->response.transport_error = describe_failure(*t, code);
      }
      finish(std::move(t));
    }
  }

  static void finish(std::unique_ptr<Transfer> t) {
    t->response.elapsed_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - t->started).count();
    try {
      t->done(std::move(t->response));
    } catch (const std::exception& e) {
      // A throwing callback must not kill the I/O thread that serves every other request.
      spdlog::error("http client: a response handler threw: {}", e.what());
    }
  }

  void shut_down() {
    for (auto& [easy, t] : active_) {
      curl_multi_remove_handle(multi_, easy);
      t->response = HttpResponse{};
      t->response.transport_error = "client shut down";
      finish(std::move(t));
    }
    active_.clear();
    std::deque<std::unique_ptr<Transfer>> rest;
    {
      std::lock_guard lock(mutex_);
      rest.swap(incoming_);
    }
    for (auto& t : rest) {
      t->response.transport_error = "client shut down";
      finish(std::move(t));
    }
  }

  CURLM* multi_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::deque<std::unique_ptr<Transfer>> incoming_;     // submitted, not yet on the I/O thread
  std::map<CURL*, std::unique_ptr<Transfer>> active_;  // owned by the I/O thread only
  std::thread io_thread_;
};

// libcurl honours these for plain http:// too; the Asio engine does not speak to proxies.
bool proxy_configured() {
  for (const char* name : {"http_proxy", "all_proxy", "ALL_PROXY"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return true;
  }
  return false;
}

// The secrets a request carries in its headers: the API key of "Authorization: Bearer KEY",
// "x-api-key" (Anthropic) or "api-key" (Azure OpenAI). Short values (none of a real key's
// length) are left out: masking them would garble ordinary text.
std::vector<std::string> request_secrets(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  // Compared without case and without a lowered copy: this runs for every request sent.
  auto same = [](std::string_view a, std::string_view lower) {
    return a.size() == lower.size() &&
           std::equal(a.begin(), a.end(), lower.begin(),
                      [](char x, char y) { return ascii_lower(x) == y; });
  };
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) {
    bool authorization = same(name, "authorization");
    if (!authorization && !same(name, "x-api-key") && !same(name, "api-key")) continue;
    std::string_view secret = trim(value);
    if (authorization && same(secret.substr(0, 7), "bearer ")) secret = trim(secret.substr(7));
    if (secret.size() >= 8) out.emplace_back(secret);
  }
  return out;
}

// Every occurrence of `secret` in `text` replaced by "***".
void mask(std::string& text, const std::string& secret) {
  for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
    text.replace(at, secret.size(), "***");
}

// `secret` as a JSON string may carry it with its punctuation escaped ("sk\u002d..."), which a
// JSON reader turns back into the key: each byte other than a letter or digit as \u00xx, in
// lower-case and in upper-case hex. Empty when the secret has no such byte.
std::vector<std::string> json_escaped_forms(const std::string& secret) {
  std::string lower, upper;
  bool any = false;
  for (unsigned char c : secret) {
    if (std::isalnum(c)) {
      lower += static_cast<char>(c);
      upper += static_cast<char>(c);
      continue;
    }
    any = true;
    lower += fmt::format("\\u{:04x}", c);
    upper += fmt::format("\\u{:04X}", c);
  }
  if (!any) return {};
  return lower == upper ? std::vector<std::string>{lower} : std::vector<std::string>{lower, upper};
}

// Plain http:// on the Asio engine, the rest on libcurl (started at its first request).
class RoutingClient final : public HttpClient {
 public:
  explicit RoutingClient(HttpClientOptions options) : options_(std::move(options)) {
    options_.max_connections = std::max(1, options_.max_connections);
    if (!options_.curl_only && !proxy_configured())
      plain_ =
          asio_http::make_asio_http_client(options_.max_connections, std::move(options_.loops));
  }

  void submit(HttpRequest request, std::function<void(HttpResponse)> done) override {
    // A provider's error text may quote the key it was sent ("Incorrect API key provided:
    // sk-..."): masked in the answer before any caller can print, log or store it.
    if (std::vector<std::string> secrets = request_secrets(request.headers); !secrets.empty()) {
      for (std::size_t i = 0, n = secrets.size(); i < n; ++i)
        for (auto& escaped : json_escaped_forms(secrets[i])) secrets.push_back(std::move(escaped));
      done = [done = std::move(done), secrets = std::move(secrets)](HttpResponse r) {
        for (const auto& secret : secrets) mask(r.body, secret);
        done(std::move(r));
      };
    }
    // Every request of every command passes here: the audit sees each body (hashed, never kept).
    // A plain request is audited once it is on its way: hashing the body is the audit's cost,
    // and it need not delay the send.
    if (plain_ && asio_http::parsed_http_url(request.url)) {
      if (!auditing()) return plain_->submit(std::move(request), std::move(done));
      std::string url = request.url, body = request.body;
      plain_->submit(std::move(request), std::move(done));
      audit_outbound(url, std::move(body));
      return;
    }
    audit_outbound(request.url, request.body);
    std::call_once(curl_started_,
                   [this] { curl_ = std::make_unique<CurlMultiClient>(options_.max_connections); });
    curl_->submit(std::move(request), std::move(done));
  }

 private:
  HttpClientOptions options_;
  std::unique_ptr<HttpClient> plain_;
  std::once_flag curl_started_;
  std::unique_ptr<HttpClient> curl_;
};

}  // namespace

std::string header_line_break(const HttpRequest& request) {
  for (const auto& [name, value] : request.headers)
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos)
      return fmt::format("the {} header holds a line break; no request was sent", name);
  return "";
}

std::unique_ptr<HttpClient> make_http_client(HttpClientOptions options) {
  return std::make_unique<RoutingClient>(std::move(options));
}

std::unique_ptr<HttpClient> make_http_client(int max_connections) {
  HttpClientOptions options;
  options.max_connections = max_connections;
  return make_http_client(std::move(options));
}

std::string too_large_message(const std::string& where, std::size_t max_response_bytes) {
  return fmt::format(
      "the answer from {} is over {} bytes and was cut off there: an answer this large is not "
      "a classification; check the approach's base_url and model",
      where, max_response_bytes);
}

HttpResponse http_send_sync(HttpClient& client, HttpRequest request) {
  std::promise<HttpResponse> promise;
  auto future = promise.get_future();
  client.submit(std::move(request),
                [&promise](HttpResponse r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace tunecase
