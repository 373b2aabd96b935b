#include "tunecase/llm/sim_llm_finetune.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <random>
#include <sstream>

#include "tunecase/llm/sim_llm_api.h"

namespace tunecase {
namespace {

constexpr std::size_t kMinExamples = 10;  // OpenAI refuses smaller training files

nlohmann::json error_reply_body(const std::string& message, const std::string& code) {
  return error_body(message + " (simulated by tunecase sim-llm)", "invalid_request_error", code);
}

SimFinetuneReply bad_request(const std::string& message, const std::string& code,
                             int status = 400) {
  return {status, error_reply_body(message, code)};
}

// The value of `key="..."` in a Content-Disposition line; "" when absent.
std::string disposition_value(const std::string& headers, const std::string& key) {
  std::string needle = key + "=\"";
  auto at = headers.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  auto end = headers.find('"', at);
  return end == std::string::npos ? "" : headers.substr(at, end - at);
}

struct Part {
  std::string name, filename, body;
};

// multipart/form-data (RFC 7578): parts between "--boundary" lines, headers, a blank line, body.
std::vector<Part> multipart_parts(const std::string& content_type, const std::string& body) {
  auto at = content_type.find("boundary=");
  if (at == std::string::npos) return {};
  std::string boundary = content_type.substr(at + 9);
  if (!boundary.empty() && boundary.front() == '"') boundary = boundary.substr(1);
  if (!boundary.empty() && boundary.back() == '"') boundary.pop_back();
  std::string delimiter = "--" + boundary;
  std::vector<Part> parts;
  std::size_t pos = body.find(delimiter);
  while (pos != std::string::npos) {
    std::size_t start = pos + delimiter.size();
    if (body.compare(start, 2, "--") == 0) break;  // the closing delimiter
    std::size_t next = body.find("\r\n" + delimiter, start);
    if (next == std::string::npos) break;
    std::string raw = body.substr(start, next - start);
    if (raw.starts_with("\r\n")) raw = raw.substr(2);
    std::size_t split = raw.find("\r\n\r\n");
    if (split != std::string::npos) {
      std::string headers = raw.substr(0, split);
      parts.push_back({disposition_value(headers, "name"), disposition_value(headers, "filename"),
                       raw.substr(split + 4)});
    }
    pos = next + 2;
  }
  return parts;
}

// The label an assistant message carries: the "label" of a JSON answer, else the text trimmed.
std::string answer_label(const std::string& content) {
  auto json = nlohmann::json::parse(content, nullptr, false);
  if (json.is_object())
    for (const auto& [key, value] : json.items())
      if (value.is_string() && key != "reasoning") return value.get<std::string>();
  std::string label = content;
  while (!label.empty() && std::isspace(static_cast<unsigned char>(label.back()))) label.pop_back();
  while (!label.empty() && std::isspace(static_cast<unsigned char>(label.front())))
    label.erase(label.begin());
  return label;
}

struct ReadTraining {
  std::vector<SimExample> examples;
  int64_t tokens = 0;
  std::string problem;  // "" when the file is valid
};

// Reads a chat fine-tuning file as the provider validates it: one JSON object per line with a
// `messages` list whose last message is the assistant's answer.
ReadTraining read_training_file(const std::string& content) {
  ReadTraining out;
  std::istringstream in(content);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("messages") ||
        !json["messages"].is_array() || json["messages"].empty()) {
      out.problem = fmt::format("line {} is not a JSON object with a messages list", number);
      return out;
    }
    std::vector<ChatMessage> messages;
    for (const auto& m : json["messages"]) {
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string() ||
          !m.contains("content") || !m["content"].is_string()) {
        out.problem = fmt::format("line {}: each message needs a string role and content", number);
        return out;
      }
      messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
      out.tokens += estimate_tokens(messages.back().content.size()) + 4;
    }
    out.tokens += 3;
    if (messages.back().role != "assistant") {
      out.problem = fmt::format("line {}: the last message must be the assistant's", number);
      return out;
    }
    std::string label = answer_label(messages.back().content);
    messages.pop_back();
    SimPrompt prompt = read_prompt(messages, nullptr);
    out.examples.push_back({prompt.query, label});
  }
  if (out.examples.size() < kMinExamples)
    out.problem = fmt::format("the training file has {} examples; at least {} are needed",
                              out.examples.size(), kMinExamples);
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

SimFinetune::SimFinetune(SimFinetuneOptions options) : options_(std::move(options)) {
  std::random_device entropy;
  instance_ = fmt::format("{:06x}", entropy() & 0xffffffu);
}

uint64_t SimFinetune::jobs_created() const {
  std::lock_guard lock(mutex_);
  return next_job_;
}

std::optional<SimFinetuneReply> SimFinetune::route(const std::string& method,
                                                   const std::string& path,
                                                   const std::string& content_type,
                                                   const std::string& body) {
  if (path == "/files" && method == "POST") return upload(content_type, body);
  const std::string jobs = "/fine_tuning/jobs";
  if (!path.starts_with(jobs)) return std::nullopt;
  if (path == jobs && method == "POST") return create(body);
  if (path == jobs && method == "GET") return list();
  std::string rest = path.substr(jobs.size());
  if (!rest.starts_with("/") || rest.size() < 2) return std::nullopt;
  rest = rest.substr(1);
  auto slash = rest.find('/');
  std::string id = rest.substr(0, slash);
  std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (action.empty() && method == "GET") return job_reply(id, false);
  if (action == "events" && method == "GET") return events(id);
  if (action == "cancel" && method == "POST") return job_reply(id, true);
  return std::nullopt;
}

SimFinetuneReply SimFinetune::upload(const std::string& content_type, const std::string& body) {
  if (options_.fault == "rejected_file")
    return bad_request("The file could not be accepted: it failed the provider's checks",
                       "invalid_file");
  std::string purpose;
  const Part* file = nullptr;
  auto parts = multipart_parts(content_type, body);
  for (const auto& part : parts) {
    if (part.name == "purpose") purpose = part.body;
    if (part.name == "file") file = &part;
  }
  if (file == nullptr)
    return bad_request("POST /v1/files needs a multipart/form-data body with a 'file' part",
                       "invalid_request");
  if (purpose != "fine-tune")
    return bad_request(fmt::format("purpose must be 'fine-tune', not '{}'", purpose),
                       "invalid_purpose");
  std::lock_guard lock(mutex_);
  File f{fmt::format("file-sim{}-{}", instance_, ++next_file_), file->filename, file->body};
  nlohmann::json reply = {{"id", f.id},
                          {"object", "file"},
                          {"bytes", f.content.size()},
                          {"created_at", static_cast<int64_t>(std::time(nullptr))},
                          {"filename", f.filename},
                          {"purpose", "fine-tune"},
                          {"status", "processed"}};
  files_[f.id] = std::move(f);
  return {200, reply};
}

SimFinetuneReply SimFinetune::create(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("model") || !json["model"].is_string() ||
      !json.contains("training_file") || !json["training_file"].is_string())
    return bad_request("the body needs a string 'model' and 'training_file'", "invalid_request");
  Job job;
  job.model = json["model"].get<std::string>();
  job.training_file = json["training_file"].get<std::string>();
  job.validation_file = json.value("validation_file", "");
  job.suffix = json.value("suffix", "");
  auto epochs = json["method"]["supervised"]["hyperparameters"]["n_epochs"];
  if (epochs.is_null()) epochs = json["hyperparameters"]["n_epochs"];
  job.epochs = epochs.is_number_integer() ? epochs.get<int>() : 3;
  if (job.epochs < 1 || job.epochs > 50)
    return bad_request("n_epochs must be between 1 and 50", "invalid_n_epochs");
  std::lock_guard lock(mutex_);
  auto file = files_.find(job.training_file);
  if (file == files_.end())
    return bad_request(fmt::format("training_file '{}' was not uploaded", job.training_file),
                       "invalid_training_file");
  if (!job.validation_file.empty() && !files_.contains(job.validation_file))
    return bad_request(fmt::format("validation_file '{}' was not uploaded", job.validation_file),
                       "invalid_validation_file");
  ReadTraining training = read_training_file(file->second.content);
  if (!training.problem.empty())
    return bad_request("invalid training file: " + training.problem, "invalid_training_file");
  job.examples = std::make_shared<const std::vector<SimExample>>(std::move(training.examples));
  job.train_tokens = training.tokens;
  job.id = fmt::format("ftjob-sim{}-{}", instance_, ++next_job_);
  job.created = std::chrono::steady_clock::now();
  job.created_at = static_cast<int64_t>(std::time(nullptr));
  std::string id = job.id;
  jobs_[id] = std::move(job);
  return {200, job_json(jobs_[id])};
}

std::string SimFinetune::status_of(Job& job) const {
  double age = seconds_since(job.created);
  if (job.cancelled) return "cancelled";
  if (age < options_.queue_s) return "queued";
  if (age < options_.queue_s + options_.run_s) return "running";
  if (options_.fault == "failed_job") return "failed";
  if (job.fine_tuned_model.empty()) {
    std::string suffix = job.suffix.empty() ? "" : job.suffix + ":";
    job.fine_tuned_model =
        fmt::format("ft:{}:tunecase-sim:{}{}", job.model, suffix, job.id.substr(6));
    models_[job.fine_tuned_model] = job.examples;
  }
  return "succeeded";
}

nlohmann::json SimFinetune::job_json(Job& job) const {
  std::string status = status_of(job);
  nlohmann::json error = nullptr;
  if (status == "failed")
    error = {{"code", "simulated_failure"},
             {"message",
              "The job failed during training (a failure requested from tunecase sim-llm with "
              "--finetune-fault failed_job)."},
             {"param", nullptr}};
  bool done = status == "succeeded";
  return {
      {"object", "fine_tuning.job"},
      {"id", job.id},
      {"model", job.model},
      {"created_at", job.created_at},
      {"finished_at", done ? nlohmann::json(std::time(nullptr)) : nlohmann::json()},
      {"fine_tuned_model", done ? nlohmann::json(job.fine_tuned_model) : nlohmann::json()},
      {"organization_id", "org-tunecase-sim"},
      {"result_files", nlohmann::json::array()},
      {"status", status},
      {"validation_file",
       job.validation_file.empty() ? nlohmann::json() : nlohmann::json(job.validation_file)},
      {"training_file", job.training_file},
      {"hyperparameters", {{"n_epochs", job.epochs}}},
      {"method",
       {{"type", "supervised"}, {"supervised", {{"hyperparameters", {{"n_epochs", job.epochs}}}}}}},
      {"trained_tokens", done ? nlohmann::json(job.train_tokens * job.epochs) : nullptr},
      {"error", error},
      {"suffix", job.suffix.empty() ? nlohmann::json() : nlohmann::json(job.suffix)},
      {"simulated", true}};
}

SimFinetuneReply SimFinetune::job_reply(const std::string& id, bool cancel) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end())
    return bad_request(fmt::format("No fine-tuning job with id '{}'", id), "not_found", 404);
  if (cancel) {
    std::string status = status_of(it->second);
    if (status == "succeeded" || status == "failed")
      return bad_request(fmt::format("Job {} has already {} and cannot be cancelled", id, status),
                         "invalid_request");
    it->second.cancelled = true;
  }
  return {200, job_json(it->second)};
}

SimFinetuneReply SimFinetune::list() {
  std::lock_guard lock(mutex_);
  nlohmann::json data = nlohmann::json::array();
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) data.push_back(job_json(it->second));
  return {200, {{"object", "list"}, {"data", data}, {"has_more", false}}};
}

SimFinetuneReply SimFinetune::events(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end())
    return bad_request(fmt::format("No fine-tuning job with id '{}'", id), "not_found", 404);
  Job& job = it->second;
  std::string status = status_of(job);
  std::vector<std::pair<std::string, std::string>> happened = {
      {"info", fmt::format("Created fine-tuning job: {} (simulated)", job.id)},
      {"info", fmt::format("Validated training file: {} examples", job.examples->size())}};
  double age = seconds_since(job.created);
  if (age >= options_.queue_s && !job.cancelled)
    happened.push_back({"info", "Fine-tuning job started (simulated)"});
  if (status == "succeeded")
    happened.push_back({"info", "The job has successfully completed (simulated)"});
  if (status == "failed") happened.push_back({"error", "The job failed (simulated)"});
  if (status == "cancelled") happened.push_back({"info", "Fine-tuning job cancelled"});
  nlohmann::json data = nlohmann::json::array();
  for (std::size_t i = happened.size(); i-- > 0;)  // newest first, as the API lists them
    data.push_back({{"object", "fine_tuning.job.event"},
                    {"id", fmt::format("ftevent-sim{}-{}", job.id.substr(9), i + 1)},
                    {"created_at", job.created_at},
                    {"level", happened[i].first},
                    {"message", happened[i].second},
                    {"type", "message"}});
  return {200, {{"object", "list"}, {"data", data}, {"has_more", false}}};
}

std::shared_ptr<const std::vector<SimExample>> SimFinetune::memory(const std::string& model) {
  std::lock_guard lock(mutex_);
  for (auto& [id, job] : jobs_) status_of(job);  // settles jobs that finished since last asked
  auto it = models_.find(model);
  return it == models_.end() ? nullptr : it->second;
}

}  // namespace tunecase
