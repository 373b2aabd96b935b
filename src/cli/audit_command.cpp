#include <fmt/format.h>

#include "commands.h"
#include "tunecase/core/error.h"
#include "tunecase/privacy/audit.h"
#include "tunecase/store/store.h"

#include <limits>

namespace {

struct AuditArgs {
  std::string dir, store;
  bool bodies = false, json = false;
};

// The gateway's audit, from the store's audit_requests table.
nlohmann::json stored_audit(const std::string& location) {
  auto store = open_existing_store(location);
  std::vector<tunecase::AuditEvent> events;
  for (const auto& r : store->audit_records(0, std::numeric_limits<int64_t>::max())) {
    tunecase::AuditEvent ev{r.endpoint, r.local, {r.at_ms, r.sha256, r.bytes, {}}};
    auto counts = nlohmann::json::parse(r.redacted_json, nullptr, false);
    if (counts.is_object())
      for (const auto& [kind, n] : counts.items())
        if (n.is_number_integer()) ev.body.redacted[kind] = n.get<int64_t>();
    events.push_back(std::move(ev));
  }
  return tunecase::audit_json("serve", events);
}

void run(const AuditArgs& a) {
  if (a.dir.empty() == a.store.empty())
    throw tunecase::UserError(
        "give --dir OUT (eval, optimize, curve, finetune) or --store LOCATION (serve), one of "
        "them");
  nlohmann::json audit;
  if (!a.store.empty()) {
    audit = stored_audit(a.store);
  } else {
    std::filesystem::path file = std::filesystem::path(a.dir) / "audit.json";
    if (std::filesystem::is_regular_file(a.dir))
      audit = tunecase::read_audit_file(a.dir);
    else
      audit = tunecase::folder_audit(file);
  }
  if (a.json) {
    fmt::print("{}\n", audit.dump(2));
    return;
  }
  fmt::print("{}", tunecase::audit_text(audit, a.bodies));
}

}  // namespace

void add_audit_command(CLI::App& app) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* cmd = app.add_subcommand(
      "audit", "What left this machine: requests, bytes, redactions and body hashes per endpoint");
  cmd->add_option(
      "--dir", args->dir,
      "Output folder of eval, optimize, curve, finetune, retrain or monitor --canary (or an "
      "audit.json file)");
  cmd->add_option("--store", args->store,
                  "The store of `tunecase serve` (SQLite file or postgresql:// URL)");
  cmd->add_flag("--bodies", args->bodies, "List the SHA-256 of every outbound body");
  cmd->add_flag("--json", args->json, "Print the audit as JSON");
  cmd->callback([args] { run(*args); });
}
