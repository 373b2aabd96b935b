#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "commands.h"
#include "tunecase/core/error.h"
#include "tunecase/core/interrupt.h"
#include "tunecase/core/number_format.h"
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

namespace {

// "pid 123 (eval)" from a lock file, or "" when it says nothing readable.
std::string lock_holder(int fd) {
  char text[200] = {};
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return "";
  std::string holder(text, static_cast<std::size_t>(n));
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  return holder;
}

}  // namespace

void refuse_unfinished_eval(const std::string& dir, std::string_view command) {
  if (dir.empty()) return;
  std::error_code ec;
  // decide takes eval.json itself as well as its folder.
  const std::filesystem::path folder = std::filesystem::is_regular_file(dir, ec)
                                           ? std::filesystem::path(dir).parent_path()
                                           : std::filesystem::path(dir);
  const std::filesystem::path lock_file = folder / ".tunecase.lock";
  if (std::filesystem::exists(lock_file, ec)) {
    int fd = open(lock_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      const bool held = flock(fd, LOCK_SH | LOCK_NB) != 0;
      const std::string holder = held ? lock_holder(fd) : "";
      close(fd);
      if (held)
        throw tunecase::UserError(fmt::format(
            "--eval {}: a tunecase command is running on this folder{}: its results and models "
            "are not final (a stopped eval puts the earlier ones back); run {} when it ends",
            dir, holder.empty() ? "" : " (" + holder + ")", command));
    }
  }
  if (std::filesystem::is_directory(folder / ".earlier-run", ec) &&
      !std::filesystem::exists(folder / "eval.json", ec))
    throw tunecase::UserError(fmt::format(
        "--eval {}: an eval on this folder was killed part-way: .earlier-run/ holds the earlier "
        "run's results and the models it replaced, and no eval.json says which models were "
        "measured. Run the same `tunecase eval` again (it puts the earlier run back first, then "
        "runs), or move .earlier-run/'s files back by hand",
        dir));
}

std::string resume_note(bool cache_disabled, bool capped, bool tuning) {
  std::string note = cache_disabled ? std::string() : std::string(kResumeFromCache);
  if (!note.empty() && capped)
    note +=
        ", and --max-cost caps each run's new spend: the cached answers are not counted again, "
        "so that run may spend up to its cap on the rest (give it what is left of yours)";
  if (tuning)
    note += std::string(note.empty() ? "" : ". ") +
            "A fine-tuning job this run created keeps training at the provider, and is billed on "
            "top of the LLM answers (its estimate was printed when it started); the same command "
            "again follows it, pays for nothing twice, and counts it as paid before, not against "
            "--max-cost. To stop it, cancel it at the provider (its id is in "
            "finetune/<approach>-<labels>/finetune.json under the curve folder)";
  return note;
}

CommandAudit::CommandAudit(std::string command, const tunecase::ProjectConfig& config,
                           std::filesystem::path file, std::string resume)
    : command_(std::move(command)),
      resume_(std::move(resume)),
      log_(std::make_unique<tunecase::AuditLog>(command_, config.privacy.allowed_hosts)),
      file_(std::move(file)) {
  const std::filesystem::path folder = file_.parent_path().empty() ? "." : file_.parent_path();
  std::error_code ec;
  created_folder_ = !std::filesystem::exists(folder, ec);
  std::filesystem::create_directories(folder, ec);
  if (ec)  // the cause, not the lock file's "No such file or directory" that follows from it
    throw tunecase::UserError(
        fmt::format("{}: cannot create the output folder ({}); choose another --out",
                    folder.string(), ec.message()));
  const std::filesystem::path lock_file = folder / ".tunecase.lock";
  lock_fd_ = open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0)
    throw tunecase::UserError(fmt::format(
        "{}: cannot create the output folder's lock file ({}); check that --out is a folder "
        "you can write",
        lock_file.string(), std::strerror(errno)));
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string holder = lock_holder(lock_fd_);
    close(lock_fd_);
    lock_fd_ = -1;
    throw tunecase::UserError(fmt::format(
        "{}: another tunecase command is running on this output folder{}; wait for it to end, "
        "or give another --out (two runs on one folder would pay for the same answers twice and "
        "write over each other's files)",
        folder.string(), holder.empty() ? "" : " (" + holder + ")"));
  }
  const std::string holder = fmt::format("pid {} (tunecase {})\n", getpid(), command_);
  if (ftruncate(lock_fd_, 0) == 0) (void)!pwrite(lock_fd_, holder.data(), holder.size(), 0);
  // An audit left by an earlier run (one interrupted, perhaps) is not this run's: it is kept
  // as audit.run-N.json when that run sent anything, and this run's takes its place as it sends.
  tunecase::keep_earlier_audit(file_);
  tunecase::set_process_audit(log_.get());
  // SIGINT and SIGTERM go to the watcher, which writes the audit before the command ends;
  // threads started from here on inherit the mask.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, &previous_mask_);
  watcher_ = std::thread([this] { watch(); });
}

void CommandAudit::write(const std::string& state) const {
  nlohmann::json audit = log_->to_json();
  audit["state"] = state;
  tunecase::write_file(file_, audit.dump(2) + "\n");
}

void CommandAudit::watch() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  int64_t written = 0;
  while (true) {
    timespec every{2, 0};
    siginfo_t info{};
    int signal = sigtimedwait(&stop, &info, &every);
    if (done_.load()) return;
    try {
      if (signal > 0) {
        drain(signal);
        // Requests the drain did not wait out (a second Ctrl-C, or its time-out): they reached
        // the provider, may be billed, and the next run asks them again.
        const auto dropped = tunecase::requests_unsettled();
        write(signal == SIGINT ? "interrupted (SIGINT)" : "stopped (SIGTERM)");
        // What this run was charged, which a cap of the run again should leave out.
        const double spent = tunecase::spent_in_process();
        // A run that sent nothing (local approaches only, or stopped before its first request)
        // has nothing in the cache to resume from: it had been told "sends only the rest".
        const bool sent = log_->requests() > 0;
        const std::string tidied = on_stop_ ? on_stop_() : std::string();
        fmt::print(stderr, "\ntunecase {}: {}; {} {}{}{}. {}{}\n", command_,
                   signal == SIGINT ? "interrupted" : "stopped",
                   sent ? "what was sent is in" : "nothing was sent to an endpoint (audit:",
                   file_.string() + (sent ? "" : ")"),
                   spent > 0 ? fmt::format("; this run was charged {} for LLM answers",
                                           tunecase::usd_amount(spent))
                             : std::string(),
                   dropped > 0
                       ? fmt::format("; {} request(s) still in flight were dropped unanswered: "
                                     "the provider may bill them, and they are not in the "
                                     "cache, so the same command again sends them again",
                                     dropped)
                       : std::string(),
                   !sent             ? "Nothing of this run is kept: the same command again "
                                       "starts over"
                   : resume_.empty() ? "Nothing of this run is kept: a new run sends everything "
                                       "again"
                                     : resume_,
                   tidied.empty() ? "" : ". " + tidied);
        std::fflush(stderr);
        std::_Exit(128 + signal);
      }
      int64_t requests = log_->requests();
      if (requests != written) {
        write("running");
        written = requests;
      }
    } catch (const std::exception& e) {
      fmt::print(stderr, "warning: could not write the audit {}: {}\n", file_.string(), e.what());
      if (signal > 0) std::_Exit(128 + signal);
    }
  }
}

void CommandAudit::drain(int signal) {
  // The answers to the requests in flight are paid for: waited for (up to kDrainFor) and cached,
  // so that the run resumed afterwards pays for none of them again. A second signal ends the
  // command at once.
  constexpr auto kDrainFor = std::chrono::seconds(30);
  tunecase::request_stop();
  if (tunecase::requests_unsettled() <= 0) return;
  // Without the cache nothing is kept: the wait is for the audit's count of what was paid.
  const bool cached = resume_.find(kResumeFromCache) != std::string::npos;
  fmt::print(stderr,
             "\ntunecase {}: {}; waiting up to {} s for the {} request(s) in flight, whose "
             "answers are paid for, so that {} (press Ctrl-C again to quit now{})\n",
             command_, signal == SIGINT ? "interrupted" : "stopped", kDrainFor.count(),
             tunecase::requests_unsettled(),
             cached ? "they are kept" : "the audit counts them (with no cache they are not kept)",
             cached ? " and lose them" : "");
  std::fflush(stderr);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + kDrainFor;
  while (tunecase::requests_unsettled() > 0 && std::chrono::steady_clock::now() < until) {
    timespec tick{0, 50'000'000};
    siginfo_t info{};
    if (sigtimedwait(&stop, &info, &tick) > 0) return;
  }
}

CommandAudit::~CommandAudit() {
  // Destroyed while an error unwinds the command: it failed (it had been written "finished").
  const bool failed = std::uncaught_exceptions() > 0;
  done_.store(true);
  pthread_kill(watcher_.native_handle(), SIGTERM);  // wakes its wait; it sees done_ and returns
  watcher_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  tunecase::set_process_audit(nullptr);
  // A run that made its output folder, then stopped before sending anything and writing
  // anything else (an --only that names no approach, unreadable data) leaves nothing behind.
  const std::filesystem::path folder = file_.parent_path().empty() ? "." : file_.parent_path();
  std::error_code ec;
  if (created_folder_ && log_->requests() == 0) {
    std::filesystem::remove(folder / ".tunecase.lock", ec);
    if (std::filesystem::is_empty(folder, ec)) {
      std::filesystem::remove(folder, ec);
      if (lock_fd_ >= 0) close(lock_fd_);
      return;
    }
  }
  // Written whether the command succeeded or failed: a failed run may still have sent data.
  try {
    write(failed ? "failed" : "finished");
  } catch (const std::exception& e) {
    fmt::print(stderr, "warning: could not write the audit {}: {}\n", file_.string(), e.what());
  }
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the folder
}
