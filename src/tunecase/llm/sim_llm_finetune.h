#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/llm/sim_llm_prompt.h"

namespace tunecase {

// What sim-llm's fine-tuning routes do (part of SimLlmOptions).
struct SimFinetuneOptions {
  // A job is queued for `queue_s`, then running for `run_s`, then done (simulated seconds are
  // wall-clock seconds: a client polling sees each state).
  double queue_s = 0.3, run_s = 0.7;
  // A fault on request: "" (none), "failed_job" (the job fails while running, with a message) or
  // "rejected_file" (every upload is refused with HTTP 400).
  std::string fault;
};

// An answer of the fine-tuning routes: HTTP status and JSON body.
struct SimFinetuneReply {
  int status = 200;
  nlohmann::json body;
};

// The OpenAI Files and Fine-tuning APIs as sim-llm serves them: POST /v1/files (multipart, purpose
// fine-tune), POST /v1/fine_tuning/jobs, GET /v1/fine_tuning/jobs/{id}, GET .../events, POST
// .../cancel, GET /v1/fine_tuning/jobs (the list). A succeeded job's model
// ("ft:<base>:tunecase-sim:<suffix>:sim<instance>-<n>", the instance drawn at start) answers chat
// requests with the lexical learner holding every example of the uploaded training file in its
// memory (the pairs of the last user message and the assistant's label), so what it gets right
// depends on how much and which data it was trained on; nothing sets its accuracy. Trained tokens
// are the training file's tokens (estimated as the chat routes count them) x epochs. Thread-safe.
class SimFinetune {
 public:
  explicit SimFinetune(SimFinetuneOptions options);

  // `path` without the /v1 prefix; nullopt when it is not a fine-tuning or files route.
  std::optional<SimFinetuneReply> route(const std::string& method, const std::string& path,
                                        const std::string& content_type, const std::string& body);
  // The training examples of a succeeded fine-tuned model; nullptr for unknown models (and for
  // jobs not yet finished).
  std::shared_ptr<const std::vector<SimExample>> memory(const std::string& model);
  uint64_t jobs_created() const;

 private:
  struct File {
    std::string id, filename;
    std::string content;
  };
  struct Job {
    std::string id, model, training_file, validation_file, suffix, fine_tuned_model;
    int epochs = 1;
    bool cancelled = false;
    std::chrono::steady_clock::time_point created;
    int64_t created_at = 0;
    int64_t train_tokens = 0;  // one epoch
    std::shared_ptr<const std::vector<SimExample>> examples;
  };

  SimFinetuneReply upload(const std::string& content_type, const std::string& body);
  SimFinetuneReply create(const std::string& body);
  SimFinetuneReply job_reply(const std::string& id, bool cancel);
  SimFinetuneReply events(const std::string& id);
  SimFinetuneReply list();
  std::string status_of(Job& job) const;  // settles a finished job's model (lock held)
  nlohmann::json job_json(Job& job) const;

  SimFinetuneOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, File> files_;
  std::map<std::string, Job> jobs_;
  mutable std::map<std::string, std::shared_ptr<const std::vector<SimExample>>> models_;
  uint64_t next_file_ = 0, next_job_ = 0;
  // Drawn once per server: ids of one sim-llm never repeat another's. A restarted sim-llm had
  // handed out "ftjob-sim1" again, and a resumed finetune took the new run's job for its own.
  std::string instance_;
};

}  // namespace tunecase
