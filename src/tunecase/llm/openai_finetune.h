#pragma once

#include <chrono>

// The OpenAI Files and Fine-tuning APIs, as `tunecase finetune` uses them:
//   POST /v1/files (multipart/form-data: purpose=fine-tune, file)      -> file object
//   POST /v1/fine_tuning/jobs {model, training_file, validation_file,
//        suffix, method: {type: supervised, supervised: {hyperparameters: {n_epochs}}}}
//   GET  /v1/fine_tuning/jobs/{id}, POST .../cancel                    -> fine_tuning.job
//   GET  /v1/fine_tuning/jobs/{id}/events                              -> list of events
// Requests are built and answers read by pure functions (tested without a network); the client
// sends them through the project's HttpClient. `tunecase sim-llm` serves the same routes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/llm/http_client.h"
#include "tunecase/llm/provider.h"

namespace tunecase {

struct FinetuneJobRequest {
  std::string base_model;
  std::string training_file, validation_file;  // uploaded file ids; validation "" for none
  int epochs = 3;
  std::string suffix;  // "" for none
};

// A fine_tuning.job as the provider reports it.
struct FinetuneJob {
  std::string id, status, base_model, fine_tuned_model;  // fine_tuned_model "" until succeeded
  std::string training_file;
  std::optional<int64_t> trained_tokens;  // billed tokens, once the job has finished
  std::string error_code, error_message;  // failed jobs
  bool simulated = false;                 // answered by tunecase sim-llm

  // succeeded, failed or cancelled: the job will not change again.
  bool finished() const;
};

struct FinetuneEvent {
  std::string id, level, message;
  int64_t created_at = 0;
};

namespace finetune_api {
// multipart/form-data with a purpose=fine-tune part and the file (boundary chosen not to occur in
// the content).
HttpRequest upload_request(const std::string& base_url, const std::string& api_key,
                           const std::string& filename, const std::string& content);
HttpRequest create_request(const std::string& base_url, const std::string& api_key,
                           const FinetuneJobRequest& job);
// GET (POST for "cancel") of one job, or with id "" the list of recent jobs (limit 100).
HttpRequest job_request(const std::string& base_url, const std::string& api_key,
                        const std::string& id, const std::string& action = "");
// Each throws ProviderError naming the API's own message for a non-2xx status, and what was
// missing for a body of the wrong shape.
std::string read_file_id(const HttpResponse& response);
FinetuneJob read_job(const HttpResponse& response);
std::vector<FinetuneEvent> read_events(const HttpResponse& response);  // oldest first
std::vector<FinetuneJob> read_job_list(const HttpResponse& response);
}  // namespace finetune_api

// The provider does not know the job asked for (HTTP 404): it was made under another key or
// organisation, or at another base_url. Asking again will not help.
class JobNotFound : public ProviderError {
 public:
  using ProviderError::ProviderError;
};

// Blocking client over an HttpClient. The key is held in memory only (sent as a bearer token,
// never logged or written); "" sends no Authorization header (sim-llm, local servers).
class OpenAiFinetuneClient {
 public:
  OpenAiFinetuneClient(std::string base_url, std::string api_key, HttpClient& http);

  // Retried on a transport error, 429 or 5xx (up to 4 attempts, the delay doubling from
  // retry_delay): a retried upload costs nothing but an unused file. Creating a job is never
  // retried here (a lost answer could mean a second paid job); the run finds it by its file.
  std::string upload(const std::string& filename, const std::string& content);
  void set_retry_delay(std::chrono::milliseconds delay) { retry_delay_ = delay; }
  FinetuneJob create(const FinetuneJobRequest& job);
  FinetuneJob retrieve(const std::string& id);
  std::vector<FinetuneEvent> events(const std::string& id);
  FinetuneJob cancel(const std::string& id);
  // A live (not failed or cancelled) job among the recent ones that trains on `training_file`:
  // the job a run created when it died before recording the provider's answer; else a failed or
  // cancelled one on it (the caller says why it is not followed); else none.
  std::optional<FinetuneJob> find_job_for_file(const std::string& training_file);
  bool simulated() const { return simulated_; }  // some answer came from sim-llm

 private:
  HttpResponse send(HttpRequest request);

  std::string base_url_, api_key_;
  HttpClient& http_;
  bool simulated_ = false;
  std::chrono::milliseconds retry_delay_{1000};
};

}  // namespace tunecase
