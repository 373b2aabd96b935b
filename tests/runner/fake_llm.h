#pragma once

// A scripted HTTP client and a minimal provider, so the runner can be tested without a server.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <queue>
#include <thread>

#include <nlohmann/json.hpp>

#include "tunecase/llm/http_client.h"
#include "tunecase/llm/provider.h"

namespace tunecase::testing {

inline constexpr const char* kFakeKey = "sk-test-SECRET-4f9a2c";

// Body: {"model", "messages"}; answer body: {"text", "in", "out"}; the key travels in a header.
class FakeProvider : public Provider {
 public:
  HttpRequest build_request(const std::vector<ChatMessage>& messages,
                            const ChatOptions& options) const override {
    nlohmann::json body = {{"model", options.model}, {"max_tokens", options.max_tokens}};
    for (const auto& m : messages)
      body["messages"].push_back({{"role", m.role}, {"content", m.content}});
    HttpRequest r;
    r.url = "http://fake.invalid/v1/chat";
    r.headers = {{"authorization", std::string("Bearer ") + kFakeKey}};
    r.body = body.dump();
    return r;
  }
  ChatAnswer parse_response(const HttpResponse& response) const override {
    if (response.status < 200 || response.status >= 300) {
      throw ProviderError("HTTP " + std::to_string(response.status) + ": " + response.body);
    }
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (!body.is_object() || !body.contains("text"))
      throw ProviderError("not an answer: " + response.body);
    ChatAnswer a;
    a.text = body["text"];
    a.usage.input = body.value("in", 0);
    a.usage.output = body.value("out", 0);
    a.finish_reason = body.value("finish", std::string());
    return a;
  }
  std::string endpoint() const override { return "http://fake.invalid/v1/chat"; }
};

inline HttpResponse answer(const std::string& text, int64_t in = 100, int64_t out = 5) {
  HttpResponse r;
  r.status = 200;
  r.body = nlohmann::json{{"text", text}, {"in", in}, {"out", out}}.dump();
  return r;
}

inline HttpResponse status(long code, std::map<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = code;
  r.body = R"({"error": "injected"})";
  r.headers = std::move(headers);
  return r;
}

inline HttpResponse timed_out() {
  HttpResponse r;
  r.timed_out = true;
  r.transport_error = "timed out after 50 ms";
  return r;
}

// The user message's "Text: ..." line of a FakeProvider request body.
inline std::string item_text(const HttpRequest& request) {
  auto body = nlohmann::json::parse(request.body);
  std::string user = body["messages"].back()["content"];
  auto at = user.rfind("Text: ");
  auto end = user.find('\n', at);
  return user.substr(at + 6, end - at - 6);
}

// Answers on its own thread after `delay`, like a real client's I/O thread. The handler sees the
// request and how many times this item text was asked before (0 on the first attempt).
class FakeClient : public HttpClient {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&, int attempt)>;

  explicit FakeClient(Handler handler,
                      std::chrono::milliseconds delay = std::chrono::milliseconds(1))
      : handler_(std::move(handler)), delay_(delay), worker_([this] { serve(); }) {}

  ~FakeClient() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }

  void submit(HttpRequest request, std::function<void(HttpResponse)> done) override {
    std::lock_guard lock(mutex_);
    std::string text = item_text(request);
    int attempt = attempts_[text]++;
    sent_at_[text].push_back(std::chrono::steady_clock::now());
    ++outstanding_;
    max_outstanding_ = std::max(max_outstanding_, outstanding_);
    requests_.push_back(request);
    queue_.push({std::chrono::steady_clock::now() + delay_, handler_(request, attempt),
                 std::move(done), seq_++});
    wake_.notify_all();
  }

  int max_outstanding() const {
    std::lock_guard lock(mutex_);
    return max_outstanding_;
  }
  std::size_t requests() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  int attempts(const std::string& text) const {
    std::lock_guard lock(mutex_);
    auto it = attempts_.find(text);
    return it == attempts_.end() ? 0 : it->second;
  }
  std::vector<std::chrono::steady_clock::time_point> sent_at(const std::string& text) const {
    std::lock_guard lock(mutex_);
    return sent_at_.at(text);
  }

 private:
  struct Pending {
    std::chrono::steady_clock::time_point at;
    HttpResponse response;
    std::function<void(HttpResponse)> done;
    uint64_t seq;
    bool operator>(const Pending& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void serve() {
    std::unique_lock lock(mutex_);
    while (true) {
      if (queue_.empty()) {
        if (stopping_) return;
        wake_.wait(lock);
        continue;
      }
      auto at = queue_.top().at;
      if (std::chrono::steady_clock::now() < at) {
        wake_.wait_until(lock, at);
        continue;
      }
      Pending p = std::move(const_cast<Pending&>(queue_.top()));
      queue_.pop();
      --outstanding_;
      lock.unlock();
      p.done(std::move(p.response));
      lock.lock();
    }
  }

  Handler handler_;
  std::chrono::milliseconds delay_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;
  std::map<std::string, int> attempts_;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> sent_at_;
  std::vector<HttpRequest> requests_;
  int outstanding_ = 0, max_outstanding_ = 0;
  uint64_t seq_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace tunecase::testing
