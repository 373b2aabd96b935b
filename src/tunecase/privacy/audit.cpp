#include "tunecase/privacy/audit.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "tunecase/core/error.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/core/work_pacing.h"
#include "tunecase/privacy/endpoint_locality.h"
#include "tunecase/privacy/sha256.h"

namespace tunecase {
namespace {

std::atomic<AuditLog*> g_process_audit{nullptr};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the audit keeps of one body: its hash, size and placeholder counts, never the body.
AuditBody hashed_body(int64_t at_ms, std::string_view body) {
  return {at_ms, sha256_hex(body), static_cast<int64_t>(body.size()), count_placeholders(body)};
}

nlohmann::json counts_json(const RedactionCounts& counts) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [kind, n] : counts) out[kind] = n;
  return out;
}

}  // namespace

AuditLog::AuditLog(std::string command, std::vector<std::string> allowed_hosts, Bodies bodies)
    : command_(std::move(command)),
      allowed_hosts_(std::move(allowed_hosts)),
      bodies_(bodies),
      started_ms_(now_ms()) {}

void AuditLog::record(std::string_view url, std::string body) {
  const int64_t at_ms = now_ms();
  // A gateway's bodies are hashed and counted when they are taken (take_new(), on the thread
  // that stores them), not here on the thread that sends them.
  if (bodies_ == Bodies::kHandOver) {
    inbox_.push({std::string(url), at_ms, std::move(body)});
    return;
  }
  AuditBody entry = hashed_body(at_ms, body);
  std::lock_guard lock(mutex_);
  AuditEndpoint& e = counted(url, body.size());
  add_counts(e.redacted, entry.redacted);
  e.bodies.push_back(std::move(entry));
}

AuditEndpoint& AuditLog::counted(std::string_view url, std::size_t bytes) const {
  // A gateway sends to a handful of URLs millions of times: each is parsed once.
  auto named = endpoint_of_url_.find(url);
  if (named == endpoint_of_url_.end()) {
    if (endpoint_of_url_.size() >= kRememberedUrls) endpoint_of_url_.clear();
    named = endpoint_of_url_.emplace(std::string(url), url_endpoint(url)).first;
  }
  const std::string& endpoint = named->second;
  AuditEndpoint& e = endpoints_[endpoint];
  if (e.endpoint.empty()) {
    e.endpoint = endpoint;
    EndpointLocality where = endpoint_locality(url, allowed_hosts_);
    e.local = where.local;
    e.proxy = where.proxy;
  }
  ++e.requests;
  e.bytes += static_cast<int64_t>(bytes);
  return e;
}

void AuditLog::absorb_inbox() const {
  std::vector<Sent> sent;
  inbox_.take_into(sent);
  for (Sent& s : sent) {
    const AuditEndpoint& e = counted(s.url, s.body.size());
    pending_.push_back({e.endpoint, e.local, s.at_ms, std::move(s.body)});
  }
}

std::vector<AuditEndpoint> AuditLog::endpoints() const {
  std::lock_guard lock(mutex_);
  absorb_inbox();
  std::vector<AuditEndpoint> out;
  for (const auto& [name, e] : endpoints_) out.push_back(e);
  return out;
}

int64_t AuditLog::requests() const {
  std::lock_guard lock(mutex_);
  absorb_inbox();
  int64_t n = 0;
  for (const auto& [name, e] : endpoints_) n += e.requests;
  return n;
}

std::vector<AuditEvent> AuditLog::take_new() {
  std::vector<PendingBody> pending;
  {
    std::lock_guard lock(mutex_);
    absorb_inbox();
    pending.swap(pending_);
  }
  std::vector<AuditEvent> out;
  out.reserve(pending.size());
  // Summed per endpoint first: the lock the sending threads need is then held for a handful of
  // additions, not one per body.
  std::map<std::string, RedactionCounts> redacted;
  for (PendingBody& p : pending) {
    pace_point();  // a paced thread (the gateway's log writer) pauses between bodies
    out.push_back({std::move(p.endpoint), p.local, hashed_body(p.at_ms, p.body)});
    if (!out.back().body.redacted.empty())
      add_counts(redacted[out.back().endpoint], out.back().body.redacted);
  }
  if (redacted.empty()) return out;
  std::lock_guard lock(mutex_);
  for (const auto& [endpoint, counts] : redacted) add_counts(endpoints_[endpoint].redacted, counts);
  return out;
}

nlohmann::json audit_json(const std::string& command, const std::vector<AuditEvent>& events) {
  AuditLog log(command);
  std::map<std::string, AuditEndpoint> endpoints;
  for (const auto& ev : events) {
    AuditEndpoint& e = endpoints[ev.endpoint];
    e.endpoint = ev.endpoint;
    e.local = ev.local;
    ++e.requests;
    e.bytes += ev.body.bytes;
    add_counts(e.redacted, ev.body.redacted);
    e.bodies.push_back(ev.body);
  }
  {
    std::lock_guard lock(log.mutex_);
    log.endpoints_ = std::move(endpoints);
    if (!events.empty()) log.started_ms_ = events.front().body.at_ms;
  }
  return log.to_json();
}

nlohmann::json AuditLog::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  int64_t requests = 0, bytes = 0;
  RedactionCounts redacted;
  for (const auto& e : endpoints()) {
    nlohmann::json bodies = nlohmann::json::array();
    for (const auto& b : e.bodies) {
      nlohmann::json body = {{"at_ms", b.at_ms}, {"sha256", b.sha256}, {"bytes", b.bytes}};
      if (!b.redacted.empty()) body["redacted"] = counts_json(b.redacted);
      bodies.push_back(std::move(body));
    }
    nlohmann::json endpoint = {{"endpoint", e.endpoint},
                               {"local", e.local},
                               {"requests", e.requests},
                               {"bytes", e.bytes},
                               {"redacted", counts_json(e.redacted)},
                               {"bodies", std::move(bodies)}};
    if (!e.proxy.empty()) endpoint["proxy"] = e.proxy;
    list.push_back(std::move(endpoint));
    requests += e.requests;
    bytes += e.bytes;
    add_counts(redacted, e.redacted);
  }
  return {
      {"audit_version", 1},
      {"command", command_},
      {"started_at_ms", started_ms_},
      {"finished_at_ms", now_ms()},
      {"endpoints", std::move(list)},
      {"totals", {{"requests", requests}, {"bytes", bytes}, {"redacted", counts_json(redacted)}}}};
}

void set_process_audit(AuditLog* log) {
  g_process_audit.store(log);
}
AuditLog* process_audit() {
  return g_process_audit.load();
}

bool auditing() {
  return g_process_audit.load() != nullptr;
}

void audit_outbound(std::string_view url, std::string body) {
  if (AuditLog* log = g_process_audit.load()) log->record(url, std::move(body));
}

std::string audit_text(const nlohmann::json& audit, bool list_bodies) {
  std::string out = fmt::format(
      "audit of `tunecase {}`{}\n", audit.value("command", "?"),
      audit.value("state", "").empty() ? std::string() : " (" + audit.value("state", "") + ")");
  const auto& endpoints = audit.at("endpoints");
  if (endpoints.empty()) out += "  nothing was sent to any endpoint\n";
  for (const auto& e : endpoints) {
    out +=
        fmt::format("\n{} ({}{})\n  requests {}, bytes {}\n", e.at("endpoint").get<std::string>(),
                    e.at("local").get<bool>() ? "local" : "EXTERNAL",
                    e.contains("proxy") ? ", through the proxy " + e["proxy"].get<std::string>()
                                        : std::string(),
                    e.at("requests").get<int64_t>(), e.at("bytes").get<int64_t>());
    std::string redacted;
    for (const auto& [kind, n] : e.at("redacted").items())
      redacted += fmt::format("{}{} {}", redacted.empty() ? "" : ", ", n.get<int64_t>(), kind);
    out += fmt::format("  redacted: {}\n", redacted.empty() ? "nothing" : redacted);
    if (list_bodies)
      for (const auto& b : e.at("bodies"))
        out += fmt::format("    {} {} {} bytes\n", b.at("at_ms").get<int64_t>(),
                           b.at("sha256").get<std::string>(), b.at("bytes").get<int64_t>());
  }
  if (audit.contains("earlier_runs") && !audit["earlier_runs"].empty()) {
    out += "\nearlier runs in this folder (each kept as its own file):\n";
    for (const auto& r : audit["earlier_runs"])
      out += fmt::format("  {}: tunecase {} ({}), requests {}, bytes {}\n", r.value("file", ""),
                         r.value("command", "?"), r.value("state", "?"),
                         r["totals"].value("requests", int64_t{0}),
                         r["totals"].value("bytes", int64_t{0}));
    const auto& all = audit["all_runs"];
    out += fmt::format("  all {} runs: requests {}, bytes {}\n", all.value("runs", 0),
                       all.value("requests", int64_t{0}), all.value("bytes", int64_t{0}));
  }
  return out;
}

namespace {

// N of audit.run-N.json, or 0 for another name.
int run_number(const std::filesystem::path& p) {
  std::string name = p.filename().string();
  const std::string head = "audit.run-", tail = ".json";
  if (name.size() <= head.size() + tail.size() || name.rfind(head, 0) != 0 ||
      name.compare(name.size() - tail.size(), tail.size(), tail) != 0)
    return 0;
  std::string digits = name.substr(head.size(), name.size() - head.size() - tail.size());
  if (digits.empty() || digits.size() > 6 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::stoi(digits);
}

}  // namespace

std::vector<std::filesystem::path> earlier_audits(const std::filesystem::path& file) {
  std::vector<std::pair<int, std::filesystem::path>> found;
  std::error_code ec;
  std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (int n = run_number(entry.path()); n > 0) found.emplace_back(n, entry.path());
  std::sort(found.begin(), found.end());
  std::vector<std::filesystem::path> out;
  for (auto& [n, p] : found) out.push_back(std::move(p));
  return out;
}

std::filesystem::path keep_earlier_audit(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return {};
  int64_t requests = 1;  // unreadable: kept, since it may record what was sent
  try {
    requests = read_audit_file(file).at("totals").value("requests", int64_t{1});
  } catch (const std::exception&) {
  }
  if (requests == 0) {
    std::filesystem::remove(file, ec);
    return {};
  }
  int next = 1;
  for (const auto& p : earlier_audits(file)) next = std::max(next, run_number(p) + 1);
  std::filesystem::path kept = file;
  kept.replace_filename(fmt::format("audit.run-{}.json", next));
  std::filesystem::rename(file, kept, ec);
  return ec ? std::filesystem::path() : kept;
}

nlohmann::json folder_audit(const std::filesystem::path& file) {
  nlohmann::json audit = read_audit_file(file);
  nlohmann::json earlier = nlohmann::json::array();
  int64_t requests = audit.contains("totals") ? audit["totals"].value("requests", int64_t{0}) : 0;
  int64_t bytes = audit.contains("totals") ? audit["totals"].value("bytes", int64_t{0}) : 0;
  for (const auto& p : earlier_audits(file)) {
    nlohmann::json run = read_audit_file(p);
    nlohmann::json totals = run.value("totals", nlohmann::json::object());
    earlier.push_back({{"file", p.filename().string()},
                       {"command", run.value("command", "")},
                       {"started_at_ms", run.value("started_at_ms", int64_t{0})},
                       // A run kept because a later one started is over: one still "running"
                       // in its last write was killed (it had been shown as running).
                       {"state", run.value("state", "") == "running"
                                     ? std::string("did not finish: killed or crashed")
                                     : run.value("state", "")},
                       {"totals", totals}});
    requests += totals.value("requests", int64_t{0});
    bytes += totals.value("bytes", int64_t{0});
  }
  audit["earlier_runs"] = earlier;
  audit["all_runs"] = {{"runs", earlier.size() + 1}, {"requests", requests}, {"bytes", bytes}};
  return audit;
}

nlohmann::json read_audit_file(const std::filesystem::path& file) {
  refuse_folder_as_file(file, "an audit.json");
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw UserError(
        fmt::format("{}: no audit here; audit.json is written by eval, optimize and "
                    "finetune into their --out folder",
                    file.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto json = nlohmann::json::parse(buffer.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("endpoints") ||
      !json["endpoints"].is_array())
    throw UserError(fmt::format("{}: not an audit file written by tunecase", file.string()));
  return json;
}

}  // namespace tunecase
