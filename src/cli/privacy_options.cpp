#include <fmt/format.h>

#include "commands.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/privacy/audit.h"

void add_local_only_option(CLI::App* cmd, bool& local_only) {
  cmd->add_flag("--local-only", local_only,
                "Refuse, before any request, approaches whose endpoint is not loopback or in "
                "[privacy] allowed_hosts (same as [privacy] local_only = true)");
}

void apply_local_only(tunecase::ProjectConfig& config, bool local_only) {
  if (local_only) config.privacy.local_only = true;
}

CommandAudit::CommandAudit(std::string command, const tunecase::ProjectConfig& config,
                           std::filesystem::path file)
    : log_(std::make_unique<tunecase::AuditLog>(std::move(command), config.privacy.allowed_hosts)),
      file_(std::move(file)) {
  tunecase::set_process_audit(log_.get());
}

CommandAudit::~CommandAudit() {
  tunecase::set_process_audit(nullptr);
  // Written whether the command succeeded or failed: a failed run may still have sent data. A
  // run that stopped before its output folder existed and sent nothing (a mistyped flag, an
  // unusable --out) leaves nothing behind, not a folder made for an empty audit.
  try {
    nlohmann::json audit = log_->to_json();
    std::error_code ec;
    if (!std::filesystem::exists(file_.parent_path(), ec) &&
        audit["totals"].value("requests", int64_t{0}) == 0)
      return;
    std::filesystem::create_directories(file_.parent_path());
    tunecase::write_file(file_, audit.dump(2) + "\n");
  } catch (const std::exception& e) {
    fmt::print(stderr, "warning: could not write the audit {}: {}\n", file_.string(), e.what());
  }
}
