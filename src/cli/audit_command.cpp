#include <fmt/format.h>

#include "commands.h"
#include "tunecase/core/error.h"
#include "tunecase/privacy/audit.h"

namespace {

struct AuditArgs {
  std::string dir;
  bool bodies = false, json = false;
};

void run(const AuditArgs& a) {
  std::filesystem::path file = std::filesystem::path(a.dir) / "audit.json";
  if (std::filesystem::is_regular_file(a.dir)) file = a.dir;
  nlohmann::json audit = tunecase::read_audit_file(file);
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
  cmd->add_option("--dir", args->dir,
                  "Output folder of eval, optimize, curve or finetune (or an audit.json file)")
      ->required();
  cmd->add_flag("--bodies", args->bodies, "List the SHA-256 of every outbound body");
  cmd->add_flag("--json", args->json, "Print the audit as JSON");
  cmd->callback([args] { run(*args); });
}
