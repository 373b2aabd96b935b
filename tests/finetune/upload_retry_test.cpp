// Uploading a training file survives a provider that stumbles (503, 429) and gives up with a
// clear message when it keeps failing; a refused file (4xx) is not retried.
#include <atomic>
#include <chrono>

#include <gtest/gtest.h>

#include "tunecase/http/server.h"
#include "tunecase/llm/http_client.h"
#include "tunecase/llm/openai_finetune.h"
#include "tunecase/llm/provider.h"

namespace tunecase {
namespace {

// A Files endpoint answering `failures` times with `status`, then with a file id.
class FlakyFiles {
 public:
  FlakyFiles(int failures, int status, std::string error = R"({"error": {"message": "busy"}})")
      : server_(http::ServerOptions{},
                [this, failures, status, error](http::Request, http::Responder r) {
                  if (calls_++ < failures) {
                    r.respond(http::Response::json(status, error));
                    return;
                  }
                  r.respond(http::Response::json(200, R"({"id": "file-42", "object": "file"})"));
                }) {
    port_ = server_.start();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int calls() const { return calls_; }

 private:
  std::atomic<int> calls_{0};
  http::Server server_;
  int port_ = 0;
};

std::string upload(FlakyFiles& files) {
  auto http = make_http_client(4);
  OpenAiFinetuneClient client(files.base_url(), "", *http);
  client.set_retry_delay(std::chrono::milliseconds(1));
  return client.upload("train.jsonl", "{}\n");
}

TEST(FinetuneUpload, IsRetriedAfterA503AndA429) {
  FlakyFiles files(2, 503);
  EXPECT_EQ(upload(files), "file-42");
  EXPECT_EQ(files.calls(), 3);
  FlakyFiles limited(1, 429);
  EXPECT_EQ(upload(limited), "file-42");
  EXPECT_EQ(limited.calls(), 2);
}

TEST(FinetuneUpload, GivesUpAfterFourAttemptsWithTheProvidersMessage) {
  FlakyFiles files(10, 500);
  try {
    upload(files);
    FAIL() << "an upload that always fails was accepted";
  } catch (const ProviderError& e) {
    EXPECT_NE(std::string(e.what()).find("busy"), std::string::npos) << e.what();
  }
  EXPECT_EQ(files.calls(), 4);
}

// An account out of credit answers 429 as a rate limit does, but no wait helps: sent once.
TEST(FinetuneUpload, AnAccountOutOfCreditIsNotRetried) {
  FlakyFiles files(10, 429,
                   R"({"error": {"message": "You exceeded your current quota, please check your "
                   "plan and billing details.", "type": "insufficient_quota", "code": "insufficient_quota"}})");
  EXPECT_THROW(upload(files), ProviderError);
  EXPECT_EQ(files.calls(), 1);
}

TEST(FinetuneUpload, ARefusedFileIsNotRetried) {
  FlakyFiles files(10, 400);
  EXPECT_THROW(upload(files), ProviderError);
  EXPECT_EQ(files.calls(), 1);
}

}  // namespace
}  // namespace tunecase
