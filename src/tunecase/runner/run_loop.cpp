#include "tunecase/runner/run_loop.h"

#include <iostream>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/core/error.h"
#include "tunecase/core/interrupt.h"
#include "tunecase/core/number_format.h"
#include "tunecase/data/shuffle.h"
#include "tunecase/llm/provider.h"
#include "tunecase/runner/answer.h"

namespace tunecase {
namespace {

constexpr std::size_t kInvalidSamples = 5;
// Items failed one after another (at least twice the concurrency) that end a run.
constexpr std::size_t kFailedInARow = 20;
constexpr auto kIdleWake = std::chrono::milliseconds(500);  // progress lines while waiting

std::optional<double> limit(double per_minute) {
  return per_minute > 0 ? std::optional<double>(per_minute) : std::nullopt;
}

HttpResponse from_cache(const CachedResponse& cached) {
  HttpResponse r;
  r.status = cached.status;
  r.body = cached.body;
  r.elapsed_ms = cached.latency_ms;
  if (cached.simulated) r.headers["x-tunecase-simulated"] = "1";
  return r;
}

// A 404 whose body says the model is unknown ("The model `x` does not exist", Ollama's "model
// \"x\" not found, try pulling it first", OpenAI's "model_not_found").
bool names_unknown_model(std::string_view body) {
  // The API's own message when it gives one (a route's 404 body that echoes a path holding
  // "models" is not a model's), else the body.
  std::string lower = api_error_message(std::string(body.substr(0, 4000)));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("model_not_found") != std::string::npos) return true;
  if (lower.find("model") == std::string::npos) return false;
  return lower.find("not found") != std::string::npos ||
         lower.find("does not exist") != std::string::npos ||
         lower.find("not exist") != std::string::npos ||
         lower.find("unknown model") != std::string::npos ||
         lower.find("invalid model") != std::string::npos;
}

}  // namespace

std::string prompt_file_name(const std::string& approach_name) {
  std::string out = approach_name;
  for (char& c : out) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    if (!ok) c = '_';
  }
  return out + ".txt";
}

void note_other_prompts(const std::filesystem::path& out_dir,
                        const std::vector<std::string>& approach_names, std::ostream& log) {
  std::set<std::string> ours;
  for (const auto& name : approach_names) ours.insert(prompt_file_name(name));
  std::vector<std::string> other;
  std::error_code error;
  std::filesystem::directory_iterator it(out_dir / "prompts", error), end;
  for (; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    if (it->is_regular_file() && !ours.contains(name)) other.push_back(name);
  }
  if (other.empty()) return;
  std::sort(other.begin(), other.end());
  log << fmt::format(
      "note: {} also holds {} from an earlier run, not from this one; left as they are: delete "
      "them, or use a new --out folder, if you no longer need them\n",
      (out_dir / "prompts").string(), fmt::join(other, ", "));
}

std::vector<std::size_t> send_order(std::size_t n, uint64_t seed) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 engine(seed);
  seeded_shuffle(order, engine);
  return order;
}

RunLoop::RunLoop(const LlmApproach& approach, const Examples& items,
                 const std::optional<Price>& price, const LlmRunOptions& options,
                 HttpClient& client, std::ostream& log, bool live)
    : approach_(approach),
      items_(items),
      price_(price),
      options_(options),
      client_(client),
      log_(log),
      limiter_(limit(approach.config().llm.rpm), limit(approach.config().llm.tpm)),
      retry_(options.max_attempts, options.retry_base_delay, options.retry_max_delay,
             options.jitter_seed),
      budget_(options.max_cost_usd),
      progress_(log, approach.name(), options.progress, live) {
  if (options.concurrency < 1) {
    throw UserError(fmt::format("--concurrency must be at least 1 (got {})", options.concurrency));
  }
  if (options.max_cost_usd && !price_) {
    throw UserError(fmt::format(
        "approach '{}': --max-cost needs a price for model '{}', which the price catalogue does "
        "not have; {}",
        approach.name(), approach.options().model, missing_price_remedy()));
  }
  if (!options.cache_file.empty()) {
    // On the terminal whatever `log` is: a run that waits silently looks hung (curve and
    // optimize under --yes give their runs a quiet log).
    turn_ = std::make_unique<CacheTurn>(options.cache_file, std::cerr);
    cache_ = std::make_unique<ResponseCache>(options.cache_file);
  }
  result_.predictions.resize(items.size());
  order_ = send_order(items.size(), options.order_seed);
  result_.price_known = price_.has_value();
}

RunLoop::Attempt RunLoop::prepare(std::size_t item, RedactionCounts* redacted) const {
  Attempt a;
  a.request = approach_.request(items_[item].text, redacted);
  a.request.timeout = approach_.request_timeout(options_.timeout);
  a.key = cache_key(approach_.provider().endpoint(), approach_.options().model, a.request.body);
  double tokens_in = static_cast<double>(estimate_tokens(a.request.body));
  double tokens_out = approach_.options().max_tokens;
  a.tokens = tokens_in + tokens_out;
  if (price_) a.worst_usd = worst_case_usd(*price_, a.request.body, approach_.options().max_tokens);
  return a;
}

// Leaves out of a kept body the start it shares with the first kept one.
void RunLoop::compact(Attempt& a) {
  std::string& body = a.request.body;
  if (reference_body_.empty()) {
    reference_body_ = body;
    return;
  }
  auto differs =
      std::mismatch(reference_body_.begin(), reference_body_.end(), body.begin(), body.end()).first;
  std::size_t shared = static_cast<std::size_t>(differs - reference_body_.begin());
  if (shared < 256) return;  // not worth a copy
  a.body_shared = shared;
  body = body.substr(shared);  // a string of the tail's size: the rest is freed
}

// Answers what the cache knows and estimates the rest, before any request is sent.
void RunLoop::plan() {
  to_send_.assign(items_.size(), false);
  RunEstimate estimate;
  estimate.items = items_.size();
  double worst_usd = 0;  // the items to send, each at its worst case (as the cap reserves them)
  std::size_t planned_bytes = 0;
  for (std::size_t i = 0; i < items_.size(); ++i) {
    Attempt a = prepare(i, &redacted_);  // every item counted once, here
    if (cache_) {
      if (auto hit = cache_->get(a.key)) {
        try {
          HttpResponse response = from_cache(*hit);
          record_answer(i, approach_.provider().parse_response(response), hit->latency_ms, true,
                        a.request.body.size());
          ++estimate.cached;
          if (i >= options_.cap_counts_cached_from) {
            const double usd = result_.predictions[i].cost_usd.value_or(0);
            budget_.count_paid_before(usd);
            result_.cached_counted_usd += usd;
            ++result_.cached_counted;
          }
          continue;
        } catch (const ProviderError&) {
          // An unreadable cached body is asked again, and the fresh answer replaces it.
          a.replaces_cached = true;
        }
      }
    }
    to_send_[i] = true;
    ++estimate.to_send;
    worst_usd += a.worst_usd;
    estimate.tokens_in += estimate_tokens(a.request.body);
    estimate.tokens_out += approach_.options().max_tokens;
    compact(a);
    std::size_t bytes = 512 + a.request.body.size() + a.request.url.size() + a.key.size();
    for (const auto& [name, value] : a.request.headers) bytes += 64 + name.size() + value.size();
    if (planned_bytes + bytes <= kPlannedBytes) {
      planned_bytes += bytes;
      planned_.emplace(i, std::move(a));
    }
  }
  if (price_) {
    estimate.usd = cost_usd(*price_, Usage{estimate.tokens_in, estimate.tokens_out, 0});
    result_.estimate_usd = estimate.usd;
  }
  result_.summary["estimate"] = {{"tokens_in", estimate.tokens_in},
                                 {"tokens_out_max", estimate.tokens_out},
                                 {"usd", estimate.usd ? nlohmann::json(*estimate.usd) : nullptr},
                                 {"to_send", estimate.to_send},
                                 {"basis", "estimated"}};
  log_ << describe_estimate(estimate, approach_.name()) << '\n' << std::flush;
  // A cap is consent up to the cap: the run cannot spend more, so it is not asked about (a
  // command of many runs without a terminal had stopped part-way, after spending, although its
  // --max-cost bounded the whole of it).
  const bool capped = options_.max_cost_usd.has_value() && estimate.usd.has_value();
  if (capped && options_.whole_or_nothing &&
      result_.cached_counted_usd + worst_usd > *options_.max_cost_usd) {
    SpendNotConfirmed refused(fmt::format(
        "{}: this run may cost up to {} (its {} items to send at their worst case, answers "
        "at max_tokens), more than the {} its cap leaves; nothing was sent, rather than "
        "figures on part of its items. Raise the cap (--max-cost) by {} or more",
        approach_.name(), usd_cap_amount(worst_usd), estimate.to_send,
        usd_amount(*options_.max_cost_usd),
        usd_cap_amount(result_.cached_counted_usd + worst_usd - *options_.max_cost_usd)));
    refused.worst_case_usd = result_.cached_counted_usd + worst_usd;
    throw refused;
  }
  try {
    confirm_spend(estimate, approach_.name(), options_.confirm_above_usd,
                  options_.assume_yes || capped, options_.confirm, log_);
  } catch (SpendNotConfirmed& refused) {
    if (price_) refused.worst_case_usd = result_.cached_counted_usd + worst_usd;
    throw;
  }
}

void RunLoop::save_first_prompt() const {
  if (options_.out_dir.empty() || items_.empty()) return;
  auto dir = options_.out_dir / "prompts";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / prompt_file_name(approach_.name()), std::ios::binary)
      << approach_.inspect(items_.front().text);
}

void RunLoop::record_answer(std::size_t item, const ChatAnswer& answer, double latency_ms,
                            bool cached, std::size_t request_bytes) {
  Prediction& p = result_.predictions[item];
  p = prediction_of(approach_, answer, price_, latency_ms, request_bytes);
  if (p.invalid) {
    ++result_.invalid;
    if (result_.invalid_samples.size() < kInvalidSamples) result_.invalid_samples.push_back(p.raw);
    count_unlabelled(answer.text, cached, item);
  } else {
    unlabelled_in_a_row_ = 0;
    if (!stopped_unlabelled_) unlabelled_keys_.clear();
  }
  result_.simulated = result_.simulated || answer.simulated;
  ++result_.evaluated;
  ++done_;
  ++answered_;
  if (!p.label.empty() && p.label == items_[item].label) ++correct_;
  if (cached) ++result_.cache_hits;
}

void RunLoop::send(std::size_t item, SteadyClock::time_point now) {
  Attempt& a = active_.at(item);
  if (a.attempts > 0) ++result_.retries;  // counted when sent: a retry the cap drops never is
  ++a.attempts;
  a.sent_at = now;
  limiter_.take(a.tokens, now);
  ++in_flight_;
  note_request_sent();
  ++result_.requests_sent;
  std::shared_ptr<Inbox> inbox = inbox_;
  client_.submit(a.request, [inbox, item](HttpResponse response) {
    {
      std::lock_guard lock(inbox->mutex);
      inbox->done.push_back({item, std::move(response)});
    }
    inbox->ready.notify_one();
  });
}

bool RunLoop::request_allowed() const {
  return !options_.max_requests ||
         result_.requests_sent + result_.cached_counted < *options_.max_requests;
}

// Starts the next planned item when the limits allow it; false when nothing more can start now.
bool RunLoop::start_next(SteadyClock::time_point now, SteadyClock::time_point& wake) {
  while (!staged_ && next_new_ < order_.size()) {
    std::size_t i = order_[next_new_++];
    if (!to_send_[i]) continue;
    if (auto built = planned_.find(i); built != planned_.end()) {
      Attempt& a = built->second;
      if (a.body_shared > 0) {
        std::string body;
        body.reserve(a.body_shared + a.request.body.size());
        body.append(reference_body_, 0, a.body_shared).append(a.request.body);
        a.request.body = std::move(body);
        a.body_shared = 0;
      }
      staged_.emplace(i, std::move(a));
      planned_.erase(built);
    } else {
      staged_.emplace(i, prepare(i, nullptr));
    }
  }
  if (!staged_) return false;
  auto& [item, attempt] = *staged_;
  SteadyClock::time_point ready = limiter_.ready_at(attempt.tokens, now);
  if (ready > now) {
    wake = std::min(wake, ready);
    return false;
  }
  if (!budget_.allows(attempt.worst_usd)) {
    // Answers in flight usually cost less than their reservation: wait for them before stopping.
    if (active_.empty()) stop_new_ = true;
    return false;
  }
  if (!request_allowed()) {
    // Requests in flight may fail and want the cap's last requests for their retries: the
    // unstarted items stop here, as under a budget.
    stop_new_ = true;
    return false;
  }
  budget_.reserve(attempt.worst_usd);
  std::size_t started = item;
  active_.emplace(started, std::move(attempt));
  staged_.reset();
  send(started, now);
  return true;
}

SteadyClock::time_point RunLoop::dispatch(SteadyClock::time_point now) {
  SteadyClock::time_point wake = now + kIdleWake;
  while (!abort_ && !retry_queue_.empty() && retry_queue_.top().at <= now) {
    std::size_t item = retry_queue_.top().item;
    SteadyClock::time_point ready = limiter_.ready_at(active_.at(item).tokens, now);
    if (ready > now) {
      wake = std::min(wake, ready);
      break;
    }
    retry_queue_.pop();
    Attempt& a = active_.at(item);
    if (!request_allowed()) {
      result_.predictions[item].error =
          fmt::format("not retried: max_calls reached (after {} attempt{})", a.attempts,
                      a.attempts == 1 ? "" : "s");
      result_.predictions[item].latency_ms = a.last_failed_ms;
      result_.stopped_by_budget = true;
      ++result_.errors;
      ++done_;
      // Its tokens were given back when the attempt failed; its reservation, if it still holds
      // one (a time-out's was charged), is given back now.
      if (a.reserved) budget_.settle(a.worst_usd, 0);
      active_.erase(item);
      continue;
    }
    if (!a.reserved) {
      if (!budget_.allows(a.worst_usd)) {
        // The time-outs' worst cases used the room: the item stops here, as unstarted ones do.
        // Its time-out is the cause to fix, not the cap: say it, with the key that sets it.
        result_.predictions[item].error = fmt::format(
            "not retried: budget reached (after {} attempt{}, the last timed out after {} ms: "
            "timeout_ms in the approach's table)",
            a.attempts, a.attempts == 1 ? "" : "s", a.request.timeout.count());
        result_.predictions[item].latency_ms = a.last_failed_ms;
        result_.stopped_by_budget = true;
        ++result_.errors;
        ++done_;
        active_.erase(item);
        continue;
      }
      budget_.reserve(a.worst_usd);
      a.reserved = true;
    }
    send(item, now);
  }
  if (!retry_queue_.empty()) wake = std::min(wake, retry_queue_.top().at);
  auto limit = static_cast<std::size_t>(options_.concurrency);
  while (!abort_ && !stop_new_ && active_.size() < limit && start_next(now, wake)) {
  }
  return wake;
}

const char* RunLoop::answers_kept() const {
  return cache_ ? "the answers so far are cached"
                : "with --no-cache nothing is kept: its answers are sent again";
}

double RunLoop::attempt_ms(const Attempt& a, const HttpResponse& response) {
  return response.elapsed_ms > 0
             ? response.elapsed_ms
             : std::chrono::duration<double, std::milli>(SteadyClock::now() - a.sent_at).count();
}

std::string RunLoop::failure_text(const HttpResponse& response) const {
  return approach_.failure_text(response);
}

void RunLoop::release(std::size_t item, double used_tokens, double spent_usd) {
  Attempt& a = active_.at(item);
  limiter_.settle(a.tokens, used_tokens);
  budget_.settle(a.worst_usd, spent_usd);
  active_.erase(item);
}

void RunLoop::retry_or_fail(std::size_t item, const HttpResponse& response) {
  Attempt& a = active_.at(item);
  a.last_failed_ms = attempt_ms(a, response);
  limiter_.settle(a.tokens, 0);  // a failed attempt used no tokens; the next one takes again
  const bool cut_off =
      response.status_before_failure >= 200 && response.status_before_failure < 300;
  if ((response.timed_out || cut_off) && price_ && a.reserved) {
    // The request reached the provider, which may have answered and billed it after we stopped
    // waiting, or answered (HTTP 2xx) and the body was cut off: the cap counts it at its worst
    // case, as an answer without usage is counted.
    ++(cut_off ? cut_off_answers_ : timed_out_attempts_);
    budget_.settle(a.worst_usd, a.worst_usd);
    a.reserved = false;
  }
  AttemptOutcome outcome = classify_attempt(response);
  if (outcome == AttemptOutcome::kRetryable && retry_.may_retry(a.attempts) && !abort_) {
    const auto delay = retry_.delay(a.attempts, response);
    // A wait the server asked for (Retry-After) past the back-off's own ceiling is said once:
    // minutes without a word look like a hung run.
    if (delay > options_.retry_max_delay && !said_long_wait_) {
      said_long_wait_ = true;
      log_ << fmt::format(
                  "{}: {} asked to wait (HTTP {}, Retry-After); retrying in {:.1f} s, and such "
                  "waits may repeat (Ctrl-C stops the run; {})",
                  approach_.name(), approach_.provider().endpoint(), response.status,
                  std::chrono::duration<double>(delay).count(), answers_kept())
           << '\n'
           << std::flush;
    }
    retry_queue_.push({SteadyClock::now() + delay, item});
    return;
  }
  std::string why = failure_text(response);
  if (out_of_credit(response)) {
    abort(fmt::format(
        "approach '{}': {} says the account is out of credit or over its spending quota ({}): "
        "add credit or raise the limit at the provider, then run the same command again ({})",
        approach_.name(), approach_.provider().endpoint(), why, answers_kept()));
  } else if (response.status == 401 || response.status == 403) {
    abort(fmt::format("approach '{}': {} rejected the request ({})", approach_.name(),
                      approach_.provider().endpoint(), why));
  } else if (outcome == AttemptOutcome::kRetryable && !any_answer_ && response.timed_out) {
    abort(fmt::format(
        "approach '{}': {} did not answer within {} ms, {} attempts; a slow server (a large "
        "self-hosted model, a busy proxy) needs a longer timeout_ms in the approach's table, "
        "else check base_url",
        approach_.name(), approach_.provider().endpoint(), a.request.timeout.count(), a.attempts));
  } else if (outcome == AttemptOutcome::kRetryable && !any_answer_ && response.status == 0) {
    abort(fmt::format(
        "approach '{}': cannot reach {} ({}) after {} attempts; check base_url and that the "
        "server is running",
        approach_.name(), approach_.provider().endpoint(), why, a.attempts));
  } else if (response.status >= 300 && response.status < 400 && !answered_before()) {
    // Every item would be redirected alike: said once, with the address to use.
    abort(fmt::format("approach '{}': {} answered {}", approach_.name(),
                      approach_.provider().endpoint(), why));
  } else if (response.status == 404 && !answered_before() && names_unknown_model(response.body)) {
    // vLLM, Ollama and OpenAI answer a model they do not serve with a 404 too: the path is
    // right, the model name is not (it had been advised as a wrong base_url).
    abort(fmt::format(
        "approach '{}': {} does not serve the model '{}' (HTTP 404: {}): check `model` in the "
        "approach's table against what the server lists (GET .../models; Ollama: `ollama list`, "
        "and `ollama pull NAME` to fetch one)",
        approach_.name(), approach_.provider().endpoint(), approach_.options().model, why));
  } else if ((response.status == 404 || response.status == 405) && !answered_before()) {
    // No such path on the server: every item would get the same answer. The usual cause is a
    // base_url that already ends with the API's path (/chat/completions, /messages), or one
    // without the /v1 an OpenAI-compatible server serves under.
    const std::string endpoint = approach_.provider().endpoint();
    const bool no_v1 = endpoint.find("/v1/") == std::string::npos;
    abort(fmt::format(
        "approach '{}': {} answered HTTP {} ({}): no such API path on the server. base_url is "
        "scheme://host[:port]/path, to which tunecase appends the API's path (/chat/completions, "
        "/messages): check that base_url does not end with it{}, and that the server serves this "
        "API",
        approach_.name(), endpoint, response.status, why,
        no_v1 ? ", and whether it needs /v1 at its end (vLLM, Ollama, llama.cpp and LiteLLM "
                "serve the OpenAI API under http://host:port/v1)"
              : ""));
  }
  // Any failure counts toward the run's stop: twenty items in a row refused with the same 400
  // (a request field the server rejects) are no more worth sending than twenty time-outs. Once
  // this request shape has been answered (in this run, or in the run whose answers the cache
  // holds), a 4xx refusal is the item's own (a content filter, a text too long): a run again
  // sends only such items, one after another, and it had stopped every such run.
  const bool items_own = answered_before() && response.status >= 400 && response.status < 500 &&
                         response.status != 401 && response.status != 403 &&
                         response.status != 404 && response.status != 405 && response.status != 429;
  if (!items_own) count_failure(why, a.attempts);
  result_.predictions[item].error =
      fmt::format("failed after {} attempt{}: {}", a.attempts, a.attempts == 1 ? "" : "s", why);
  result_.predictions[item].latency_ms = a.last_failed_ms;
  ++result_.errors;
  ++done_;
  if (a.reserved) budget_.settle(a.worst_usd, 0);
  active_.erase(item);
}

void RunLoop::on_completion(Completion c) {
  --in_flight_;
  // Settled once its answer is recorded (cached) or its attempt given up, whichever way this
  // returns: an interrupted command waits for that before it ends.
  struct Settled {
    ~Settled() { note_request_settled(); }
  } settled;
  Attempt& a = active_.at(c.item);
  const HttpResponse& response = c.response;
  // A copy written in full on a kept-alive connection that then closed unanswered, sent again by
  // the client: it may have reached the endpoint, so it is counted as sent and as a retry.
  if (response.copies_sent > 1) {
    result_.requests_sent += static_cast<std::size_t>(response.copies_sent - 1);
    result_.retries += static_cast<std::size_t>(response.copies_sent - 1);
  }
  if (classify_attempt(response) != AttemptOutcome::kAnswered) {
    retry_or_fail(c.item, response);
    return;
  }
  const double latency = attempt_ms(a, response);
  ChatAnswer answer;
  try {
    answer = approach_.provider().parse_response(response);
  } catch (const ProviderError& e) {
    result_.predictions[c.item].error = fmt::format("unreadable answer: {}", e.what());
    result_.predictions[c.item].latency_ms = latency;
    count_failure(result_.predictions[c.item].error.value(), a.attempts);
    ++result_.errors;
    ++done_;
    // The provider answered (HTTP 2xx) and may well have billed it: as an answer without usage,
    // it costs the worst case reserved for it, so the cap holds (it had been charged $0).
    if (price_) ++unreadable_answers_;
    release(c.item, 0, price_ ? a.worst_usd : 0);
    return;
  }
  any_answer_ = true;
  failed_in_a_row_ = 0;
  record_answer(c.item, answer, latency, false, a.request.body.size());
  // An answer that gave no token usage costs the worst case reserved for it: unknown is never
  // free, and the cap holds.
  const std::optional<double>& priced = result_.predictions[c.item].cost_usd;
  if (price_ && !priced) ++unpriced_answers_;
  double cost = price_ ? priced.value_or(a.worst_usd) : 0;
  // The rate limiter's bucket keeps the whole reservation of an answer whose tokens are unknown.
  const Prediction& scored = result_.predictions[c.item];
  const bool counted = scored.tokens_in > 0;
  ++answered_this_run_;
  const bool replaces_cached = a.replaces_cached;
  std::string key = cache_ ? std::move(a.key) : std::string();  // `a` is erased next
  release(c.item, counted ? static_cast<double>(scored.tokens_in + scored.tokens_out) : a.tokens,
          cost);  // `a` is gone from here
  // Cached once counted: a cache that cannot be written stops the run with this answer's cost
  // in what it says was spent (it had said $0.00 after the first answer's write failed).
  if (cache_) {
    const CachedResponse fresh{response.status, response.body, latency, answer.simulated};
    try {
      replaces_cached ? cache_->replace(key, fresh) : cache_->put(key, fresh);
      ++cached_this_run_;
    } catch (const UserError& e) {
      const std::size_t answers = answered_this_run_;
      throw UserError(fmt::format(
          "{}. The run stopped: it sent {} request{}{}, and {} of its {} answer{} {} in the "
          "cache (the next run does not pay for {}); the rest, and the {} request{} still "
          "in flight, are asked for, and paid for, again. Run the same command again once the "
          "cache can be written",
          e.what(), result_.requests_sent, result_.requests_sent == 1 ? "" : "s",
          price_ ? fmt::format(" and spent {}", usd_amount(budget_.spent())) : std::string(),
          cached_this_run_, answers, answers == 1 ? "" : "s", cached_this_run_ == 1 ? "is" : "are",
          cached_this_run_ == 1 ? "it" : "them", in_flight_, in_flight_ == 1 ? "" : "s"));
    }
  }
}

// How many items in a row, failed or answering no label, end a run: at least twice the requests
// in flight, whose outcomes arrive together.
std::size_t RunLoop::in_a_row_limit() const {
  return std::max<std::size_t>(kFailedInARow, 2 * static_cast<std::size_t>(options_.concurrency));
}

// Items failing one after another with no answer between: the server went away, or fails or
// garbles everything. The answers so far are in the cache; a run again once it is back sends only
// the rest. (A few failures among answers are counted, and the run goes on.)
void RunLoop::count_failure(const std::string& why, int attempts) {
  if (++failed_in_a_row_ < in_a_row_limit()) return;
  abort(fmt::format(
      "approach '{}': {} {}: the last {} items each failed after {} attempt{}, with no answer "
      "between (the last: {}).{}",
      approach_.name(), approach_.provider().endpoint(),
      any_answer_ ? "stopped answering" : "gave no usable answer", failed_in_a_row_, attempts,
      attempts == 1 ? "" : "s", why,
      cache_ ? fmt::format(" The {} answers so far are in the cache, so a run again once the "
                           "server is back or the fault above is fixed sends only the items left",
                           answered_)
             : std::string(" A run again sends every item (--no-cache: nothing was kept)")));
}

// Answers one after another that name no label, with none that did between: the model or the
// prompt does not answer in the form asked for, and every further request is paid for nothing
// (a run had gone on to its end at 100% unreadable). A few such answers among labels are
// counted, and the run goes on.
void RunLoop::count_unlabelled(const std::string& text, bool cached, std::size_t item) {
  // Answers from the cache were read at the start, not asked for: they never end a run, so a
  // run again after a stop is not stopped by replaying what it kept.
  if (cached) return;
  if (cache_) unlabelled_keys_.push_back(active_.at(item).key);
  if (stopped_unlabelled_ || ++unlabelled_in_a_row_ < in_a_row_limit()) return;
  stopped_unlabelled_ = true;
  abort(fmt::format(
      "approach '{}': the last {} answers from {} named no label (the last began: '{}'), with "
      "none that did between: the model does not answer in the form the prompt asks for. {}"
      "check the model name, the labels and the prompt strategy.{}",
      approach_.name(), unlabelled_in_a_row_, approach_.provider().endpoint(),
      text.substr(0, kAnswerSampleChars),
      options_.out_dir.empty()
          ? std::string()
          : fmt::format(
                "Read {} beside an answer, then ",
                (options_.out_dir / "prompts" / prompt_file_name(approach_.name())).string()),
      cache_ ? " The answers that named no label are not kept in the cache, so a run again asks "
               "for them anew; the others are kept and not paid for again"
             : ""));
}

// The answers that ended the run by naming no label, and those that came in after it, are
// forgotten by the cache (they had been replayed by every run again, which stopped at once).
void RunLoop::forget_unlabelled() {
  if (!cache_ || !stopped_unlabelled_) return;
  for (const std::string& key : unlabelled_keys_) cache_->erase(key);
  unlabelled_keys_.clear();
}

void RunLoop::abort(std::string message) {
  if (!abort_) abort_ = std::move(message);
}

// What the run's spend is made of: measured token usage, plus the worst case of what could not be
// measured (counted against the cap as if spent).
std::string RunLoop::spent_basis() const {
  std::vector<std::string> worst;
  if (unpriced_answers_ > 0)
    worst.push_back(fmt::format("{} answer{} whose token counts were missing or could not be true",
                                unpriced_answers_, unpriced_answers_ == 1 ? "" : "s"));
  if (timed_out_attempts_ > 0)
    worst.push_back(fmt::format("{} timed-out request{} the provider may have billed",
                                timed_out_attempts_, timed_out_attempts_ == 1 ? "" : "s"));
  if (cut_off_answers_ > 0)
    worst.push_back(fmt::format("{} answer{} cut off after HTTP 2xx (likely billed)",
                                cut_off_answers_, cut_off_answers_ == 1 ? "" : "s"));
  if (unreadable_answers_ > 0)
    worst.push_back(fmt::format("{} answer{} that could not be read (HTTP 2xx, so likely billed)",
                                unreadable_answers_, unreadable_answers_ == 1 ? "" : "s"));
  if (worst.empty()) return "measured";
  // Every answer charged its worst case: nothing of the spend was measured.
  if (answered_ > 0 && unpriced_answers_ >= static_cast<int64_t>(answered_))
    return fmt::format(
        "the worst case of {} (nothing measured; counted against the cap as if "
        "spent)",
        fmt::join(worst, " and "));
  return fmt::format("measured, plus the worst case of {} (counted against the cap as if spent)",
                     fmt::join(worst, " and "));
}

ProgressCounts RunLoop::counts() const {
  ProgressCounts c;
  c.done = done_;
  c.total = items_.size();
  c.answered = answered_;
  c.correct = correct_;
  c.sent = result_.requests_sent;
  c.errors = result_.errors;
  if (price_) c.spent_usd = budget_.spent();
  return c;
}

void RunLoop::loop() {
  std::vector<Completion> batch;
  while (true) {
    {
      std::lock_guard lock(inbox_->mutex);
      batch.swap(inbox_->done);
    }
    for (auto& c : batch) on_completion(std::move(c));
    batch.clear();
    if (stop_requested()) {
      // Ctrl-C: nothing new is sent and no retry waits; the answers in flight are paid for, so
      // they are awaited and cached. Then this thread holds the command until the watcher ends
      // it, so that no report is written as if the run had ended (items never sent would read as
      // stopped by the budget).
      stop_new_ = true;
      while (!retry_queue_.empty()) {
        active_.erase(retry_queue_.top().item);
        retry_queue_.pop();
      }
      if (in_flight_ == 0)
        for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    }
    if (abort_) {
      // Items waiting to retry are not sent again; only the requests in flight are awaited.
      while (!retry_queue_.empty()) {
        active_.erase(retry_queue_.top().item);
        retry_queue_.pop();
      }
      if (in_flight_ == 0) {
        forget_unlabelled();
        return;
      }
    }
    SteadyClock::time_point now = SteadyClock::now();
    SteadyClock::time_point wake = dispatch(now);
    progress_.update(counts());
    bool more_to_start = !stop_new_ && !abort_ && (staged_ || next_new_ < items_.size());
    if (active_.empty() && !more_to_start) return;
    std::unique_lock lock(inbox_->mutex);
    inbox_->ready.wait_until(lock, wake, [&] { return !inbox_->done.empty(); });
  }
}

void RunLoop::finish() {
  // Items start in order_, so the ones never started are the staged one and all after it.
  std::size_t first_unstarted = staged_ ? next_new_ - 1 : next_new_;
  for (std::size_t k = first_unstarted; k < order_.size(); ++k) {
    std::size_t i = order_[k];
    if (!to_send_[i]) continue;
    result_.predictions[i].error = "not run: budget reached";
    result_.stopped_by_budget = true;
  }
  // The scored items stay a prefix of the seeded order, so a uniform random sample: the cache's
  // answers after the first item the budget stopped are left out too. Scoring them would score
  // the items that answered before and leave out those that failed (errors are not cached), and
  // a rerun under a small cap of a run with errors had read 100%.
  if (result_.stopped_by_budget) {
    for (std::size_t k = first_unstarted; k < order_.size(); ++k) {
      std::size_t i = order_[k];
      if (to_send_[i]) continue;
      Prediction& p = result_.predictions[i];
      if (p.invalid) --result_.invalid;
      --result_.evaluated;
      --result_.cache_hits;
      ++result_.cached_left_out;
      p = Prediction{};
      p.error = "not run: budget reached";
    }
  }
  result_.spent_usd = budget_.spent();
  result_.charged_worst_case = static_cast<std::size_t>(unpriced_answers_ + timed_out_attempts_ +
                                                        unreadable_answers_ + cut_off_answers_);
  progress_.finish(counts());
  double seconds = std::chrono::duration<double>(SteadyClock::now() - started_).count();
  const LlmRunResult& r = result_;
  result_.summary.update({
      {"approach", approach_.name()},
      {"model", approach_.options().model},
      {"endpoint", approach_.provider().endpoint()},
      {"prompt", to_string(approach_.prompts().settings().strategy)},
      {"items", items_.size()},
      {"evaluated", r.evaluated},
      {"cache_hits", r.cache_hits},
      {"cached_left_out", r.cached_left_out},
      {"requests_sent", r.requests_sent},
      {"retries", r.retries},
      {"errors", r.errors},
      {"invalid", r.invalid},
      {"invalid_samples", r.invalid_samples},
      {"stopped_by_budget", r.stopped_by_budget},
      {"max_cost_usd", options_.max_cost_usd ? nlohmann::json(*options_.max_cost_usd) : nullptr},
      {"spent_usd", price_ ? nlohmann::json(r.spent_usd) : nullptr},
      {"spent_basis", spent_basis()},
      {"price", price_
                    ? nlohmann::json{{"input_per_mtok", price_->input_per_mtok},
                                     {"cached_input_per_mtok", price_->cached_input_per_mtok},
                                     {"cache_write_per_mtok", price_->cache_write_per_mtok},
                                     {"cache_write_1h_per_mtok", price_->cache_write_1h_per_mtok},
                                     {"output_per_mtok", price_->output_per_mtok},
                                     {"date", price_->date},
                                     {"source", price_->source}}
                    : nlohmann::json(nullptr)},
      {"simulated", r.simulated},
      {"redaction", {{"on", approach_.redactor().enabled()}, {"redacted", redacted_}}},
      {"concurrency", options_.concurrency},
      {"order_seed", options_.order_seed},
      {"elapsed_s", seconds},
      {"requests_per_s", seconds > 0 ? static_cast<double>(r.requests_sent) / seconds : 0.0},
  });
}

LlmRunResult RunLoop::run() {
  started_ = SteadyClock::now();
  if (!price_) {
    log_ << fmt::format(
        "WARNING: approach '{}': no price for model '{}'; its cost is reported as null (unknown), "
        "not $0. To price it: {}.\n",
        approach_.name(), approach_.options().model, missing_price_remedy());
  }
  save_first_prompt();
  plan();
  loop();
  if (abort_) throw RunAborted(*abort_);
  finish();
  return std::move(result_);
}

}  // namespace tunecase
