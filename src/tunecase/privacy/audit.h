#pragma once

// The record of what left the machine (docs/privacy.md): per endpoint, the requests and bytes
// sent, the items redacted by kind, and the SHA-256 of each outbound body with its time. Bodies,
// headers (API keys) and redacted values are never kept: a body is hashed and its placeholders
// counted as it passes, then dropped.
//
// One AuditLog is installed for a whole command (ScopedAudit in the CLI); the project's one HTTP
// client (llm/http_client.h) records every request it sends into the installed log, so no
// command can send without being audited.

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tunecase/core/mpsc_inbox.h"
#include "tunecase/privacy/redactor.h"

namespace tunecase {

struct AuditBody {
  int64_t at_ms = 0;  // UTC milliseconds since the epoch
  std::string sha256;
  int64_t bytes = 0;
  RedactionCounts redacted;  // placeholders in this body, per kind
};

// One outbound request as the gateway stores it (AuditLog::take_new).
struct AuditEvent {
  std::string endpoint;
  bool local = false;
  AuditBody body;
};

struct AuditEndpoint {
  std::string endpoint;  // scheme://host[:port]/path, no query string
  bool local = false;    // loopback or in [privacy] allowed_hosts, and no other proxy
  std::string proxy;     // the environment's proxy the requests went through ("" when none)
  int64_t requests = 0;
  int64_t bytes = 0;
  RedactionCounts redacted;  // placeholders found in the bodies, per kind
  std::vector<AuditBody> bodies;
};

class AuditLog {
 public:
  // Where each body's record goes. A run keeps them for its audit.json (kKeep); the gateway,
  // which runs for weeks, hands them over with take_new() to the store and keeps only the
  // totals (kHandOver), so its memory does not grow with every request it sends.
  enum class Bodies { kKeep, kHandOver };
  // `command` names the run ("eval", "serve"); `allowed_hosts` decides each endpoint's `local`.
  AuditLog(std::string command, std::vector<std::string> allowed_hosts = {},
           Bodies bodies = Bodies::kKeep);

  // One outbound request (thread-safe): hashes and counts `body`, keeps neither. With
  // Bodies::kHandOver the hash and the placeholder count are taken in take_new(), off the
  // sending thread: until then the body is held, and endpoints()' `redacted` leaves it out.
  void record(std::string_view url, std::string body);

  std::vector<AuditEndpoint> endpoints() const;
  // The requests recorded so far, without copying the bodies' records (a command's periodic
  // audit asks it every two seconds).
  int64_t requests() const;
  // With Bodies::kHandOver: the requests recorded since the last call, oldest first (the
  // gateway moves them to the store). Always empty with Bodies::kKeep, where endpoints() holds
  // every body.
  std::vector<AuditEvent> take_new();
  // {"command", "started_at", "finished_at", "endpoints": [...], "totals": {...}}
  nlohmann::json to_json() const;

 private:
  friend nlohmann::json audit_json(const std::string&, const std::vector<AuditEvent>&);

  std::string command_;
  std::vector<std::string> allowed_hosts_;
  Bodies bodies_;
  int64_t started_ms_;
  // Bodies::kHandOver: record() pushes into inbox_ without taking mutex_, which the store's
  // writer takes at a lower priority in take_new() (an event loop must never wait for it); the
  // readers move the inbox into the counts and pending_ under mutex_ first (absorb_inbox()),
  // const ones too, so those members are mutable.
  struct Sent {
    std::string url;
    int64_t at_ms = 0;
    std::string body;
  };
  void absorb_inbox() const;  // mutex_ held

  mutable std::mutex mutex_;
  mutable MpscInbox<Sent> inbox_;
  mutable std::map<std::string, AuditEndpoint> endpoints_;
  // Bodies::kHandOver: what record() was given since the last take_new(), not yet hashed.
  struct PendingBody {
    std::string endpoint;
    bool local = false;
    int64_t at_ms = 0;
    std::string body;
  };
  mutable std::vector<PendingBody> pending_;
  // Each URL sent to, with its endpoint (url_endpoint); forgotten whole past this many URLs.
  static constexpr std::size_t kRememberedUrls = 256;
  mutable std::map<std::string, std::string, std::less<>> endpoint_of_url_;
  // mutex_ held: the endpoint record of `url` (named and placed at its first use), with one
  // more request of `bytes` counted.
  AuditEndpoint& counted(std::string_view url, std::size_t bytes) const;
};

// The log requests are recorded into (nullptr: none). Set by ScopedAudit-like owners only.
void set_process_audit(AuditLog* log);
AuditLog* process_audit();

// Records into the process audit when one is installed (what the HTTP client calls).
void audit_outbound(std::string_view url, std::string body);
// Whether a log is installed: a sender need not keep a copy of its body for it otherwise.
bool auditing();

// The audit as a person reads it (`tunecase audit`): one block per endpoint, hashes listed.
std::string audit_text(const nlohmann::json& audit, bool list_bodies);

// The audit document of AuditLog::to_json built from stored events (`tunecase audit --store`).
nlohmann::json audit_json(const std::string& command, const std::vector<AuditEvent>& events);

// Reads an audit.json file; UserError naming the file when it is missing or not an audit.
nlohmann::json read_audit_file(const std::filesystem::path& file);

// An earlier run's audit.json in an output folder, kept when a new run starts there: as
// audit.run-N.json (N = 1, 2, ... in the order the runs started) when it recorded any request,
// removed when it recorded none. Every run that sent something keeps its record (one slot,
// audit.previous.json, had lost the uploads of a run two re-runs back). Returns the kept path,
// or empty.
std::filesystem::path keep_earlier_audit(const std::filesystem::path& file);

// The audits keep_earlier_audit kept beside `file`, oldest first.
std::vector<std::filesystem::path> earlier_audits(const std::filesystem::path& file);

// `tunecase audit --dir`: this run's audit with, under "earlier_runs", each earlier run's file,
// command, start, state and totals, and under "all_runs" the totals over every run.
nlohmann::json folder_audit(const std::filesystem::path& file);

}  // namespace tunecase
