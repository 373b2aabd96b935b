#include "tunecase/finetune/finetune_run.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tunecase/config/approach_settings.h"
#include "tunecase/config/privacy_policy.h"
#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/core/number_format.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/data/prepare.h"
#include "tunecase/finetune/training_file.h"
#include "tunecase/llm/openai_finetune.h"
#include "tunecase/llm/prices.h"
#include "tunecase/llm/provider.h"
#include "tunecase/runner/budget.h"
#include "tunecase/runner/retry_policy.h"

namespace tunecase {
std::string provider_failure_advice(const std::string& what) {
  // A refusal (4xx but 429) comes back the same until its cause is fixed; a rate limit, a
  // network failure or a server error may pass. ("answered HTTP 429" had been compared over one
  // character more than it has, so a 429 read as a refusal.)
  if (says_out_of_credit(what))
    return "the provider says the account is out of credit or over its spending quota: no wait "
           "helps until someone adds credit or raises the limit at the provider; then run the "
           "same command again";
  if (what.find("answered HTTP 429") != std::string::npos)
    return "the provider limits requests or jobs for now (HTTP 429: a rate limit, or too many "
           "fine-tuning jobs running at once): wait, or let other jobs finish, then run the same "
           "command again";
  if (what.find("answered HTTP 4") != std::string::npos)
    return "the provider refused the request, and will again until its cause is fixed (401/403: "
           "the key in the approach's api_key_env; 400: the training file, see the message; 413: "
           "a smaller --fraction or shorter texts), then run the same command again";
  return "run the same command again to go on";
}

namespace {

constexpr int kPollFailuresAllowed = 5;  // consecutive failed polls before giving up

const ApproachConfig& finetune_approach(const ProjectConfig& config, const std::string& name) {
  const ApproachConfig* a = config.find_approach(name);
  if (a == nullptr) {
    std::string names;
    for (const auto& x : config.approaches) names += (names.empty() ? "" : ", ") + x.name;
    throw UserError(fmt::format("{}: no approach named '{}'; the approaches are: {}",
                                config.file.string(), name, names));
  }
  if (a->kind != "openai" || !a->llm.finetune)
    throw UserError(fmt::format(
        "{}: approach '{}' cannot be fine-tuned: it needs kind = \"openai\" and finetune = {{ "
        "base_model = \"gpt-4.1-mini-2025-04-14\", epochs = 3, suffix = \"tickets\" }}",
        a->where, name));
  // before any file is built or sent
  enforce_local_only(config.privacy, {*a},
                     "Fine-tune an approach whose base_url is inside your network");
  return *a;
}

// The string at `pointer` ("" when absent or not a string): records may be partial or old.
std::string text_at(const nlohmann::json& j, const char* pointer) {
  nlohmann::json::json_pointer p(pointer);
  return j.contains(p) && j.at(p).is_string() ? j.at(p).get<std::string>() : "";
}

nlohmann::json read_record(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return nlohmann::json::object();
  auto json = nlohmann::json::parse(in, nullptr, false);
  if (!json.is_object())
    throw UserError(
        fmt::format("{} is not a JSON object; delete it (or choose another --out) to "
                    "start afresh",
                    file.string()));
  // The parts that carry the provider's ids: read as absent when of another type, a job would
  // be started and paid again while the recorded one runs on.
  for (const char* part : {"job", "files"})
    if (json.contains(part) && !json[part].is_object() && !json[part].is_null())
      throw UserError(fmt::format(
          "{}: its \"{}\" is not a JSON object (the file was edited or damaged), so the job and "
          "files it recorded cannot be read; restore it, or delete it (or choose another --out) "
          "to start afresh. Nothing was sent and the file is left as it is",
          file.string(), part));
  return json;
}

// A job on the same files and settings that is not over badly: a run follows it.
bool recorded_job_to_follow(const nlohmann::json& previous, const std::string& print) {
  std::string status = text_at(previous, "/job/status");
  return text_at(previous, "/fingerprint") == print && !text_at(previous, "/job/id").empty() &&
         status != "failed" && status != "cancelled";
}

struct Files {
  Examples train, validation;
  std::string train_jsonl, validation_jsonl;
  TrainingFileReport train_report, validation_report;
  std::size_t train_total = 0, test = 0;
  std::size_t test_in_files = 0;  // test rows that read as a training line once redacted
};

// Rows that differ only in the personal data [privacy] redaction replaces become one line of the
// file ("reset my login, <EMAIL_1>"): the first of each is kept, the others counted in `merged`
// (the provider refuses duplicated lines, and [data]'s de-duplication, on the texts as written,
// finds none). `seen` holds the (redacted text, label) pairs kept so far, `texts` their texts.
// `labels_of` maps each kept redacted text to its labels: one with two is a prompt the file
// teaches two answers for.
void keep_first_redacted(Examples& part, const Redactor& redactor,
                         std::set<std::pair<std::string, std::string>>& seen,
                         std::map<std::string, std::set<std::string>>& labels_of,
                         std::size_t& merged) {
  Examples kept;
  for (auto& e : part) {
    std::string redacted = redactor.redact(e.text);
    if (!seen.insert({redacted, e.label}).second) {
      ++merged;
      continue;
    }
    labels_of[std::move(redacted)].insert(e.label);
    kept.push_back(std::move(e));
  }
  part = std::move(kept);
}

Files build_files(const ProjectConfig& config, const ApproachConfig& a, double fraction,
                  std::ostream& log) {
  PreparedData data = prepare_data(config.data);
  Files f;
  f.train_total = data.splits.train.size();
  f.test = data.splits.test.size();
  f.train = stratified_fraction(data.splits.train, fraction, config.data.seed);
  f.validation = data.splits.dev;
  // The builder is given the whole train split, as at inference (few-shot examples come from it).
  PromptBuilder prompts(prompt_settings(a, config), config, data.splits.train, data.labels);
  Redactor redactor(config.privacy.rules);
  std::size_t merged_train = 0, merged_validation = 0, conflicting = 0;
  if (redactor.enabled()) {
    std::set<std::pair<std::string, std::string>> seen;
    std::map<std::string, std::set<std::string>> labels_of;
    keep_first_redacted(f.train, redactor, seen, labels_of, merged_train);
    for (const auto& [text, labels] : labels_of) conflicting += labels.size() > 1;
    keep_first_redacted(f.validation, redactor, seen, labels_of, merged_validation);
    for (const auto& e : data.splits.test)
      f.test_in_files += labels_of.contains(redactor.redact(e.text));
  }
  f.train_jsonl = training_jsonl(prompts, f.train, redactor);
  f.validation_jsonl = training_jsonl(prompts, f.validation, redactor);
  // The splits are disjoint by construction; a test text in a training file would make every
  // later measurement of this model worthless, so it is checked, not assumed.
  std::set<std::string> test_texts;
  for (const auto& e : data.splits.test) test_texts.insert(e.text);
  for (const Examples* part : {&f.train, &f.validation})
    for (const auto& e : *part)
      if (test_texts.contains(e.text))
        throw std::logic_error("a test text reached a fine-tuning file: " + e.id);
  f.train_report = validate_training_file("train.jsonl", f.train_jsonl, data.labels, {}, &f.train);
  auto merged_warning = [](std::size_t merged) {
    return fmt::format(
        "{} row{} became the same line as another once [privacy] redaction replaced {} personal "
        "data; one copy of each such line is kept",
        merged, merged == 1 ? "" : "s", merged == 1 ? "its" : "their");
  };
  if (merged_train > 0) f.train_report.warnings.push_back(merged_warning(merged_train));
  // Rows that differed only in their personal data and were labelled differently: the file
  // teaches two answers for one prompt.
  if (conflicting > 0)
    f.train_report.warnings.push_back(fmt::format(
        "{} text{} read{} the same once redacted but carr{} more than one label: the model is "
        "taught two answers for {}; check those rows' labels",
        conflicting, conflicting == 1 ? "" : "s", conflicting == 1 ? "s" : "",
        conflicting == 1 ? "ies" : "y", conflicting == 1 ? "that prompt" : "each such prompt"));
  // A test row that reads, redacted, as a training line: the tuned model's test score counts
  // it, on a prompt it was trained on.
  if (f.test_in_files > 0)
    f.train_report.warnings.push_back(fmt::format(
        "{} test row{} read{} the same as a line of the training files once redacted: the tuned "
        "model's test score counts {} on prompts it was trained on (finetune.json, "
        "data.test_examples_in_files)",
        f.test_in_files, f.test_in_files == 1 ? "" : "s", f.test_in_files == 1 ? "s" : "",
        f.test_in_files == 1
            ? "it"
            : "them"));  // Labels spelt two ways would be paid for and learnt as two labels.
  if (!data.summary.labels_normalized)
    for (const LabelVariantGroup& g : data.summary.label_variants) {
      std::string spellings;
      for (const auto& [spelling, rows] : g.spellings)
        spellings +=
            fmt::format("{}\"{}\" ({} rows)", spellings.empty() ? "" : ", ", spelling, rows);
      f.train_report.warnings.push_back(fmt::format(
          "the label \"{}\" is spelt {} ways, {}, and would be trained as {} labels; set [data] "
          "normalize_labels = true to merge them before paying for the job",
          g.canonical, g.spellings.size(), spellings, g.spellings.size()));
    }
  log << f.train_report.text();
  if (!f.validation.empty()) {
    TrainingLimits limits;
    limits.min_examples = 1;  // a validation file may be small
    f.validation_report = validate_training_file("validation.jsonl", f.validation_jsonl,
                                                 data.labels, limits, &f.validation);
    if (merged_validation > 0)
      f.validation_report.warnings.push_back(fmt::format(
          "{} row{} read the same as a line of the training files once redacted, and were left "
          "out of the validation file",
          merged_validation, merged_validation == 1 ? "" : "s"));
    log << f.validation_report.text();
  }
  return f;
}

nlohmann::json estimate_json(const ApproachConfig& a, const Files& f) {
  const FinetuneSettings& ft = *a.llm.finetune;
  int64_t trained = f.train_report.tokens * ft.epochs;
  nlohmann::json e = {{"base_model", ft.base_model},
                      {"tokens_per_epoch", f.train_report.tokens},
                      {"epochs", ft.epochs},
                      {"trained_tokens", trained},
                      {"usd", nullptr},
                      {"price", nullptr},
                      {"figures_are", "estimated"}};
  if (auto price = PriceCatalogue::for_approach(a).find_finetune(ft.base_model)) {
    e["usd"] = static_cast<double>(trained) * price->training_per_mtok / 1e6;
    e["price"] = {{"training_per_mtok", price->training_per_mtok},
                  {"date", price->inference.date},
                  {"source", price->inference.source}};
  }
  return e;
}

std::string fingerprint(const ApproachConfig& a, const Files& f) {
  const FinetuneSettings& ft = *a.llm.finetune;
  return text_hash(fmt::format("{}\n{}\n{}\n{}\n{}\n{}", a.llm.base_url, ft.base_model, ft.epochs,
                               ft.suffix, f.train_jsonl, f.validation_jsonl));
}

// The [[approach]] to paste: the tuned model under the same prompt settings, pointing at the
// record, from which `tunecase decide` takes the measured training cost.
std::string approach_toml(const ApproachConfig& a, const FinetuneOptions& o,
                          const nlohmann::json& record, const std::filesystem::path& config_file) {
  nlohmann::json source = a.source;
  for (const char* key : {"finetune", "price", "training_usd", "retrain_usd", "trained"})
    source.erase(key);
  source["name"] = o.result_name.empty() ? a.name + "-ft" : o.result_name;
  source["model"] = record["job"]["fine_tuned_model"];
  source["trained"] = true;
  // Relative to the config the snippet is pasted into (the one this run read), as the config
  // reader resolves it: a project moved or checked out elsewhere keeps finding its record. An
  // absolute path had pointed at this machine's folder.
  const std::filesystem::path record_file =
      std::filesystem::absolute(o.out_dir / "finetune.json").lexically_normal();
  std::filesystem::path relative;
  if (!config_file.empty())
    relative = record_file.lexically_relative(
        std::filesystem::absolute(config_file).lexically_normal().parent_path());
  source["finetune_record"] = relative.empty() ? record_file.string() : relative.string();
  // A provider that reported no trained tokens leaves the estimate made before the run ("from
  // null trained tokens" had been written).
  const nlohmann::json& trained = record["job"]["trained_tokens"];
  const std::string basis =
      trained.is_number()
          ? fmt::format("{} from {} trained tokens", record["training_usd_is"].get<std::string>(),
                        trained.dump())
          : fmt::format(
                "{}: the provider reported no trained tokens, so the estimate made "
                "before the run stands",
                record["training_usd_is"].get<std::string>());
  return fmt::format(
             "# The model fine-tuned by `tunecase finetune` from approach '{}' (job {}).\n"
             "# training_usd: {}.\n",
             a.name, record["job"]["id"].get<std::string>(), basis) +
         approach_table_text(source);
}

class Session {
 public:
  Session(const ApproachConfig& a, const FinetuneOptions& o, std::ostream& log)
      : a_(a), o_(o), log_(log), file_(o.out_dir / "finetune.json") {}

  // Until this run has the provider's ids of the recorded job (or files) in hand, or a job of its
  // own, finetune.json keeps the record it found: a run that stops before (a missing key, other
  // settings, a refused spend) must leave the next run what it needs to follow the job instead of
  // paying for another.
  FinetuneResult run(const ProjectConfig& config) {
    config_file_ = config.file;
    create_output_dir(o_.out_dir);
    Files f = build_files(config, a_, o_.fraction, log_);
    nlohmann::json previous = read_record(file_);
    std::string print = fingerprint(a_, f);
    bool same = text_at(previous, "/fingerprint") == print;
    std::string old_status = text_at(previous, "/job/status");
    std::string old_id = text_at(previous, "/job/id");
    if (!old_id.empty() && !same && old_status != "failed" && old_status != "cancelled")
      throw UserError(fmt::format(
          "{} follows job {} ({}) for other training files or settings; run the command that "
          "started it to follow it, or choose another --out (the record and the files are left "
          "as they were)",
          file_.string(), old_id, old_status));
    write_file(o_.out_dir / "train.jsonl", f.train_jsonl);
    if (!f.validation.empty()) write_file(o_.out_dir / "validation.jsonl", f.validation_jsonl);
    record_ = fresh_record(f, print);
    const bool previous_has_ids = !old_id.empty() ||
                                  !text_at(previous, "/files/train/id").empty() ||
                                  !text_at(previous, "/files/validation/id").empty();
    // Nothing of a provider's to lose (or only the ids of a job over badly): the record can say
    // at once what this run found, the files' problems and the estimate included.
    const bool keep_previous = previous_has_ids && (same || old_id.empty());
    if (!keep_previous) save();
    if (!f.train_report.problems.empty() || !f.validation_report.problems.empty())
      throw UserError(fmt::format(
          "{}: the fine-tuning files have problems (listed above{}); nothing was uploaded", a_.name,
          keep_previous ? "" : fmt::format(", and in {}", file_.string())));
    auto http = make_http_client(4);
    // The key, or stop here; a succeeded job is reported from the record, asking the provider
    // nothing, so it needs none (a key variable unset had stopped that report).
    const bool finished_job = recorded_job_to_follow(previous, print) && old_status == "succeeded";
    OpenAiFinetuneClient client(a_.llm.base_url, finished_job ? std::string() : read_api_key(a_),
                                *http);
    bool found = false;
    bool finished_before = false;
    if (recorded_job_to_follow(previous, print)) {
      // The same job: what the record knew of it (its cost, whether it was simulated) stands
      // until the provider says more, so a re-run that cannot reach the provider loses nothing.
      record_["job"] = previous["job"];
      for (const char* key : {"training_usd", "training_usd_is", "simulated"})
        if (previous.contains(key)) record_[key] = previous[key];
      adopt_file_ids(previous);
      finished_before = old_status == "succeeded";
      log_ << fmt::format("{}: {} job {} recorded in {} (no new job, nothing paid again)\n",
                          a_.name, finished_before ? "reporting the finished" : "following", old_id,
                          file_.string());
    } else {
      if (same && old_id.empty()) adopt_file_ids(previous);  // a run that died before its job id
      try {
        found = find_job_of_uploaded_file(client);
      } catch (const ProviderError& e) {
        throw UserError(fmt::format(
            "{}: {}; could not ask the provider for a job on the files {} records, so nothing "
            "was started: run the same command again",
            a_.name, e.what(), file_.string()));
      }
      if (!found) {
        print_estimate();
        const nlohmann::json& usd = record_["estimate"]["usd"];
        confirm_finetune_spend(usd.is_number() ? std::optional(usd.get<double>()) : std::nullopt,
                               a_.name, "the fine-tuning job",
                               "fine-tune on less of train (--fraction)", o_.assume_yes,
                               o_.max_cost_usd, o_.confirm, log_);
      }
    }
    save();
    try {
      if (text_at(record_, "/job/id").empty()) start(client, f);
      if (!finished_before) follow(client);  // a succeeded job is final: nothing to ask
    } catch (const ProviderError& e) {
      record_["simulated"] = record_["simulated"].get<bool>() || client.simulated();
      save();
      // A refusal (4xx but 429) comes back the same until its cause is fixed; a network
      // failure, a rate limit or a server error may pass.
      std::string what = e.what();
      throw UserError(fmt::format("{}: {}; {} records how far it got: {}", a_.name, what,
                                  file_.string(), provider_failure_advice(what)));
    }
    return finish();
  }

 private:
  nlohmann::json fresh_record(const Files& f, const std::string& print) {
    const FinetuneSettings& ft = *a_.llm.finetune;
    nlohmann::json files = {{"train", f.train_report.to_json()}};
    if (!f.validation.empty()) files["validation"] = f.validation_report.to_json();
    return {{"approach", a_.name},
            {"endpoint", a_.llm.base_url},
            {"base_model", ft.base_model},
            {"epochs", ft.epochs},
            {"suffix", ft.suffix},
            {"fraction", o_.fraction},
            {"fingerprint", print},
            {"data",
             {{"train_examples", f.train.size()},
              {"train_split", f.train_total},
              {"validation_examples", f.validation.size()},
              {"test_examples_in_files", f.test_in_files},
              {"test_split", f.test}}},
            {"files", files},
            {"estimate", estimate_json(a_, f)},
            {"job", nlohmann::json::object()},
            {"training_usd", nullptr},
            {"training_usd_is", "unknown"},
            {"simulated", false}};
  }

  void print_estimate() {
    const nlohmann::json& e = record_["estimate"];
    std::string cost =
        e["usd"].is_number()
            ? fmt::format("${:.4f} (estimated, {} per 1M trained tokens, {} {})",
                          e["usd"].get<double>(), e["price"]["training_per_mtok"].get<double>(),
                          e["price"]["source"].get<std::string>(),
                          e["price"]["date"].get<std::string>())
            : "UNKNOWN (no [finetune] price for the base model in the catalogue)";
    log_ << fmt::format(
        "{}: {} tokens per epoch x {} epochs = {} trained tokens (estimated); "
        "cost {}\n",
        a_.name, e["tokens_per_epoch"].get<int64_t>(), e["epochs"].get<int>(),
        e["trained_tokens"].get<int64_t>(), cost);
  }

  void adopt_file_ids(const nlohmann::json& previous) {
    record_["files"]["train"]["id"] = text_at(previous, "/files/train/id");
    if (record_["files"].contains("validation"))
      record_["files"]["validation"]["id"] = text_at(previous, "/files/validation/id");
  }

  // A run that died after creating its job but before recording the answer left its uploaded
  // file behind: the provider's job on that file is this run's job, not a reason for another.
  bool find_job_of_uploaded_file(OpenAiFinetuneClient& client) {
    std::string uploaded = text_at(record_, "/files/train/id");
    if (uploaded.empty()) return false;
    auto job = client.find_job_for_file(uploaded);
    if (!job) return false;
    if (job->status == "failed" || job->status == "cancelled") {
      // Its failure is said before a new job is asked for: the same cause (a file the
      // provider's moderation refused, say) may fail the next one too.
      log_ << fmt::format(
          "{}: the provider's job {} on the uploaded file {} {}{}; it is not followed, and a new "
          "job is started only as confirmed below\n",
          a_.name, job->id, uploaded, job->status,
          job->error_message.empty() ? "" : ": " + job->error_message);
      return false;
    }
    record(*job);
    log_ << fmt::format("{}: found job {} on the uploaded file {} (no new job)\n", a_.name, job->id,
                        uploaded);
    return true;
  }

  void start(OpenAiFinetuneClient& client, const Files& f) {
    nlohmann::json& files = record_["files"];
    std::string uploaded = text_at(record_, "/files/train/id");
    if (uploaded.empty()) files["train"]["id"] = client.upload("train.jsonl", f.train_jsonl);
    if (!f.validation.empty() && text_at(record_, "/files/validation/id").empty())
      files["validation"]["id"] = client.upload("validation.jsonl", f.validation_jsonl);
    save();
    const FinetuneSettings& ft = *a_.llm.finetune;
    FinetuneJobRequest request{
        ft.base_model, files["train"]["id"].get<std::string>(),
        f.validation.empty() ? "" : files["validation"]["id"].get<std::string>(), ft.epochs,
        ft.suffix};
    FinetuneJob job = client.create(request);
    record(job);  // from here on a re-run follows this job instead of paying for another
    log_ << fmt::format("{}: created job {} ({})\n", a_.name, job.id, job.status);
  }

  void follow(OpenAiFinetuneClient& client) {
    std::string id = record_["job"]["id"].get<std::string>();
    std::set<std::string> seen;
    int failures = 0;
    std::string last_status;
    int64_t last_line_s = 0;
    auto started = std::chrono::steady_clock::now();
    for (;;) {
      FinetuneJob job;
      try {
        job = client.retrieve(id);
        for (const auto& e : client.events(id))
          if (seen.insert(e.id).second) log_ << fmt::format("  [{}] {}\n", e.level, e.message);
        failures = 0;
      } catch (const JobNotFound& e) {
        // A re-run would follow the same job into the same 404: say how to get out.
        throw UserError(fmt::format(
            "{}: {}. The job was made with another API key or organisation, or at another "
            "base_url: set the key it was made with and run again to follow it; or, to start a "
            "new job (paid again), remove {}",
            a_.name, e.what(), file_.string()));
      } catch (const ProviderError& e) {
        if (++failures >= kPollFailuresAllowed) throw;
        log_ << fmt::format("  (could not read the job: {}; trying again)\n", e.what());
        std::this_thread::sleep_for(o_.poll_interval);
        continue;
      }
      record(job);
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::steady_clock::now() - started)
                         .count();
      // One line per change of status, and one a minute while nothing changes.
      if (job.status != last_status || seconds >= last_line_s + 60) {
        log_ << fmt::format("{}: job {} {} ({} s){}\n", a_.name, id, job.status, seconds,
                            job.simulated ? " [simulated]" : "");
        last_status = job.status;
        last_line_s = seconds;
      }
      if (job.finished()) return;
      std::this_thread::sleep_for(o_.poll_interval);
    }
  }

  void record(const FinetuneJob& job) {
    nlohmann::json j = {{"id", job.id},
                        {"status", job.status},
                        {"fine_tuned_model", job.fine_tuned_model},
                        {"trained_tokens", nullptr}};
    if (job.trained_tokens) j["trained_tokens"] = *job.trained_tokens;
    if (!job.error_message.empty() || !job.error_code.empty())
      j["error"] = {{"code", job.error_code}, {"message", job.error_message}};
    record_["job"] = j;
    if (job.simulated) record_["simulated"] = true;
    save();
  }

  FinetuneResult finish() {
    nlohmann::json& job = record_["job"];
    std::string status = job["status"];
    if (status != "succeeded") {
      std::string message = text_at(job, "/error/message");
      throw UserError(fmt::format(
          "{}: fine-tuning job {} {}{}; see {} (running the command again starts a new job)",
          a_.name, job["id"].get<std::string>(), status, message.empty() ? "" : ": " + message,
          file_.string()));
    }
    const nlohmann::json& price = record_["estimate"]["price"];
    bool simulated = record_["simulated"].get<bool>();
    const nlohmann::json& estimate = record_["estimate"]["usd"];
    if (job["trained_tokens"].is_number() && price.is_object()) {
      record_["training_usd"] =
          job["trained_tokens"].get<double>() * price["training_per_mtok"].get<double>() / 1e6;
      record_["training_usd_is"] = simulated ? "simulated" : "measured";
      // Billed well past the estimate (texts that tokenise into more tokens than their bytes
      // suggest, more epochs than asked): said, and kept in the record.
      const double usd = record_["training_usd"].get<double>();
      if (estimate.is_number() && estimate.get<double>() > 0 &&
          usd > 1.25 * estimate.get<double>()) {
        record_["cost_warning"] = fmt::format(
            "the provider billed {} trained tokens, ${:.4f}: {:.1f} times the estimate of "
            "${:.4f}{}",
            job["trained_tokens"].dump(), usd, usd / estimate.get<double>(), estimate.get<double>(),
            o_.max_cost_usd && usd > *o_.max_cost_usd
                ? fmt::format(", and above --max-cost ${:.4f} (a cap on the estimate)",
                              *o_.max_cost_usd)
                : std::string());
        log_ << a_.name << ": warning: " << record_["cost_warning"].get<std::string>() << "\n";
      }
    } else if (price.is_object() && estimate.is_number()) {
      // The provider reported no trained tokens: the estimate stands in, said as such (it had
      // read as "no price in the catalogue").
      record_["training_usd"] = estimate;
      record_["training_usd_is"] = simulated ? "simulated" : "estimated";
      record_["cost_warning"] =
          "the provider reported no trained tokens for the job: training_usd is the estimate "
          "made before it";
      log_ << a_.name << ": " << record_["cost_warning"].get<std::string>() << "\n";
    }
    save();
    FinetuneResult result{record_, approach_toml(a_, o_, record_, config_file_)};
    write_file(o_.out_dir / "approach.toml", result.approach_toml);
    return result;
  }

  void save() { write_file(file_, record_.dump(2) + "\n"); }

  const ApproachConfig& a_;
  const FinetuneOptions& o_;
  std::ostream& log_;
  std::filesystem::path file_;
  std::filesystem::path
      config_file_;  // the config this run read: the snippet's record path is relative to it
  nlohmann::json record_;
};

}  // namespace

void confirm_finetune_spend(std::optional<double> usd, const std::string& who,
                            const std::string& what, const std::string& smaller, bool assume_yes,
                            std::optional<double> max_cost_usd,
                            const std::function<bool(const std::string&)>& confirm,
                            std::ostream& log) {
  if (assume_yes) return;
  if (max_cost_usd) {
    if (!usd)
      throw UserError(fmt::format(
          "{}: the cost of {} is unknown (no fine-tuning price for the base model in the "
          "catalogue), so --max-cost cannot bound it; add a [finetune] price for it to a "
          "catalogue of your own (prices = \"FILE\" in the approach, or TUNECASE_PRICES) or pass "
          "--yes",
          who, what));
    if (*usd > *max_cost_usd)
      throw SpendNotConfirmed(
          fmt::format("{}: {} is estimated at {}, over --max-cost {}; raise it, or {}", who, what,
                      usd_amount(*usd), usd_amount(*max_cost_usd), smaller));
    return;
  }
  std::string cost = usd ? fmt::format("about {} (estimated)", usd_amount(*usd))
                         : "an UNKNOWN amount (no fine-tuning price in the catalogue)";
  if (ask_yes_no(fmt::format("{}: {} will cost {}. Start?", who, what, cost), confirm, log)) return;
  // --max-cost cannot bound an unknown price: only --yes, or a price, can start it.
  throw SpendNotConfirmed(fmt::format(
      "{}: not started: {} (cost {}); {}", who, what, cost,
      usd ? "pass --yes to start, or --max-cost USD to start only within that spend"
          : "pass --yes to start at an unknown cost, or give the approach a fine-tuning price "
            "(a `prices` catalogue of your own, docs/finetune.md) to start within --max-cost"));
}

namespace {

void check_fraction(double fraction) {
  if (!(fraction > 0 && fraction <= 1))
    throw UserError(
        fmt::format("--fraction {} must be above 0 and at most 1 (e.g. 0.3)", fraction));
}

}  // namespace

FinetunePlan plan_finetune(const ProjectConfig& config, const std::string& approach_name,
                           const FinetuneOptions& options) {
  check_fraction(options.fraction);
  const ApproachConfig& a = finetune_approach(config, approach_name);
  std::ostringstream reports;
  Files f = build_files(config, a, options.fraction, reports);
  if (!f.train_report.problems.empty() || !f.validation_report.problems.empty())
    throw UserError(
        fmt::format("{}: the fine-tuning files for {} examples have problems; nothing "
                    "was uploaded:\n{}",
                    a.name, f.train.size(), reports.str()));
  FinetunePlan plan;
  plan.estimate = estimate_json(a, f);
  plan.train_examples = f.train.size();
  plan.follows_job =
      recorded_job_to_follow(read_record(options.out_dir / "finetune.json"), fingerprint(a, f));
  return plan;
}

FinetuneResult run_finetune(const ProjectConfig& config, const std::string& approach_name,
                            const FinetuneOptions& options, std::ostream& log) {
  check_fraction(options.fraction);
  const ApproachConfig& a = finetune_approach(config, approach_name);
  Session session(a, options, log);
  return session.run(config);
}

}  // namespace tunecase
