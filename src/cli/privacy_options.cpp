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
  // Written whether the command succeeded or failed: a failed run may still have sent data.
  try {
    std::filesystem::create_directories(file_.parent_path());
    tunecase::write_file(file_, log_->to_json().dump(2) + "\n");
  } catch (const std::exception& e) {
    fmt::print(stderr, "warning: could not write the audit {}: {}\n", file_.string(), e.what());
  }
}
