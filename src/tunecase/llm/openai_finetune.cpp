#include "tunecase/llm/openai_finetune.h"

#include <thread>

#include <fmt/format.h>

#include <chrono>

#include "tunecase/llm/provider.h"

namespace tunecase {
namespace {

constexpr const char* kApi = "the OpenAI fine-tuning API";

std::vector<std::pair<std::string, std::string>> auth(const std::string& api_key) {
  if (api_key.empty()) return {};
  return {{"Authorization", "Bearer " + api_key}};
}

std::string text_field(const nlohmann::json& body, const char* key, const char* what) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    throw ProviderError(
        fmt::format("{} answered {} without a string `{}`; the answer does not have the "
                    "documented shape (is base_url an OpenAI-compatible fine-tuning API?)",
                    kApi, what, key));
  return it->get<std::string>();
}

std::string optional_text(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

bool FinetuneJob::finished() const {
  return status == "succeeded" || status == "failed" || status == "cancelled";
}

namespace finetune_api {

HttpRequest upload_request(const std::string& base_url, const std::string& api_key,
                           const std::string& filename, const std::string& content) {
  std::string boundary = "tunecase-finetune-boundary";
  while (content.find(boundary) != std::string::npos) boundary += "-x";
  HttpRequest r;
  r.method = "POST";
  r.url = base_url + "/files";
  r.headers = auth(api_key);
  r.headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
  r.body = fmt::format(
      "--{0}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
      "--{0}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{1}\"\r\n"
      "Content-Type: application/jsonl\r\n\r\n{2}\r\n--{0}--\r\n",
      boundary, filename, content);
  r.timeout = std::chrono::minutes(10);
  return r;
}

HttpRequest create_request(const std::string& base_url, const std::string& api_key,
                           const FinetuneJobRequest& job) {
  nlohmann::json body = {{"model", job.base_model},
                         {"training_file", job.training_file},
                         {"method",
                          {{"type", "supervised"},
                           {"supervised", {{"hyperparameters", {{"n_epochs", job.epochs}}}}}}}};
  if (!job.validation_file.empty()) body["validation_file"] = job.validation_file;
  if (!job.suffix.empty()) body["suffix"] = job.suffix;
  HttpRequest r;
  r.method = "POST";
  r.url = base_url + "/fine_tuning/jobs";
  r.headers = auth(api_key);
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = body.dump();
  r.send_once = true;  // a second job would be trained and billed; a re-run finds a lost one
  return r;
}

HttpRequest job_request(const std::string& base_url, const std::string& api_key,
                        const std::string& id, const std::string& action) {
  HttpRequest r;
  r.method = action == "cancel" ? "POST" : "GET";
  r.url = base_url + "/fine_tuning/jobs" + (id.empty() ? "?limit=100" : "/" + id) +
          (action.empty() ? "" : "/" + action);
  r.headers = auth(api_key);
  return r;
}

std::string read_file_id(const HttpResponse& response) {
  return text_field(provider_detail::parse_body(response, kApi), "id", "the upload");
}

namespace {

FinetuneJob job_from_json(const nlohmann::json& body, bool simulated) {
  FinetuneJob job;
  job.id = text_field(body, "id", "a job");
  job.status = text_field(body, "status", "a job");
  job.base_model = optional_text(body, "model");
  job.fine_tuned_model = optional_text(body, "fine_tuned_model");
  job.training_file = optional_text(body, "training_file");
  if (auto t = body.find("trained_tokens"); t != body.end() && t->is_number_integer())
    job.trained_tokens = t->get<int64_t>();
  if (auto e = body.find("error"); e != body.end() && e->is_object()) {
    job.error_code = optional_text(*e, "code");
    job.error_message = optional_text(*e, "message");
  }
  job.simulated = simulated;
  if (job.status == "succeeded" && job.fine_tuned_model.empty())
    throw ProviderError(fmt::format(
        "{} reports job {} succeeded without a `fine_tuned_model`; retry later", kApi, job.id));
  return job;
}

}  // namespace

FinetuneJob read_job(const HttpResponse& response) {
  return job_from_json(provider_detail::parse_body(response, kApi), is_simulated(response));
}

std::vector<FinetuneJob> read_job_list(const HttpResponse& response) {
  nlohmann::json body = provider_detail::parse_body(response, kApi);
  auto data = body.find("data");
  if (data == body.end() || !data->is_array())
    throw ProviderError(fmt::format("{} answered the job list without a `data` array", kApi));
  std::vector<FinetuneJob> jobs;
  for (const auto& j : *data)
    if (j.is_object()) jobs.push_back(job_from_json(j, is_simulated(response)));
  return jobs;
}

std::vector<FinetuneEvent> read_events(const HttpResponse& response) {
  nlohmann::json body = provider_detail::parse_body(response, kApi);
  auto data = body.find("data");
  if (data == body.end() || !data->is_array())
    throw ProviderError(fmt::format("{} answered the event list without a `data` array", kApi));
  std::vector<FinetuneEvent> events;
  for (const auto& e : *data) {
    if (!e.is_object()) continue;
    FinetuneEvent event{optional_text(e, "id"), optional_text(e, "level"),
                        optional_text(e, "message"), 0};
    if (auto t = e.find("created_at"); t != e.end() && t->is_number_integer())
      event.created_at = t->get<int64_t>();
    events.insert(events.begin(), event);  // the API lists the newest first
  }
  return events;
}

}  // namespace finetune_api

OpenAiFinetuneClient::OpenAiFinetuneClient(std::string base_url, std::string api_key,
                                           HttpClient& http)
    : base_url_(std::move(base_url)), api_key_(std::move(api_key)), http_(http) {}

HttpResponse OpenAiFinetuneClient::send(HttpRequest request) {
  std::string what = request.method + " " + request.url;
  HttpResponse response = http_send_sync(http_, std::move(request));
  if (response.status == 0)
    throw ProviderError(
        fmt::format("{}: {}; check base_url and the network", what, response.transport_error));
  if (is_simulated(response)) simulated_ = true;
  return response;
}

std::string OpenAiFinetuneClient::upload(const std::string& filename, const std::string& content) {
  constexpr int kAttempts = 4;
  std::chrono::milliseconds delay = retry_delay_;
  for (int attempt = 1;; ++attempt) {
    HttpRequest request = finetune_api::upload_request(base_url_, api_key_, filename, content);
    HttpResponse response = http_send_sync(http_, std::move(request));
    // An account out of credit answers 429 too, and no wait helps: not sent again.
    const bool transient = response.status == 0 ||
                           (response.status == 429 && !out_of_credit(response)) ||
                           response.status >= 500;
    if (!transient || attempt == kAttempts) {
      if (response.status == 0)
        throw ProviderError(
            fmt::format("POST {}/files ({}): {} after {} attempts; check "
                        "base_url and the network",
                        base_url_, filename, response.transport_error, attempt));
      if (is_simulated(response)) simulated_ = true;
      return finetune_api::read_file_id(response);
    }
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
}

FinetuneJob OpenAiFinetuneClient::create(const FinetuneJobRequest& job) {
  return finetune_api::read_job(send(finetune_api::create_request(base_url_, api_key_, job)));
}

FinetuneJob OpenAiFinetuneClient::retrieve(const std::string& id) {
  HttpResponse response = send(finetune_api::job_request(base_url_, api_key_, id));
  if (response.status == 404) {
    try {
      provider_detail::parse_body(response, kApi);  // throws, with the API's own message
    } catch (const ProviderError& e) {
      throw JobNotFound(fmt::format("job {}: {}", id, e.what()));
    }
  }
  return finetune_api::read_job(response);
}

std::vector<FinetuneEvent> OpenAiFinetuneClient::events(const std::string& id) {
  return finetune_api::read_events(
      send(finetune_api::job_request(base_url_, api_key_, id, "events")));
}

std::optional<FinetuneJob> OpenAiFinetuneClient::find_job_for_file(
    const std::string& training_file) {
  auto jobs = finetune_api::read_job_list(send(finetune_api::job_request(base_url_, api_key_, "")));
  // A live or succeeded job on the file first; else a failed or cancelled one, for the caller
  // to say why it is not followed.
  std::optional<FinetuneJob> ended;
  for (const auto& job : jobs) {
    if (job.training_file != training_file) continue;
    if (job.status != "failed" && job.status != "cancelled") return job;
    if (!ended) ended = job;
  }
  return ended;
}

FinetuneJob OpenAiFinetuneClient::cancel(const std::string& id) {
  return finetune_api::read_job(send(finetune_api::job_request(base_url_, api_key_, id, "cancel")));
}

}  // namespace tunecase
