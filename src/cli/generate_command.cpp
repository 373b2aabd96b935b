#include <fmt/format.h>

#include "commands.h"
#include "tunecase/data/csv_writer.h"

void write_synthetic_tickets(const std::filesystem::path& file,
                             const tunecase::SyntheticOptions& options) {
  std::vector<std::vector<std::string>> rows;
  for (auto& t : tunecase::generate_tickets(options)) {
    rows.push_back(
        {std::move(t.id), std::move(t.text), std::move(t.category), std::move(t.created_at)});
  }
  tunecase::write_csv(file, {"id", "text", "category", "created_at"}, rows);
}

void add_generate_command(CLI::App& app) {
  auto options = std::make_shared<tunecase::SyntheticOptions>();
  auto out = std::make_shared<std::string>("tickets.csv");
  CLI::App* cmd = app.add_subcommand(
      "generate", "Write synthetic support tickets (the demo's data) to a CSV file");
  cmd->add_option("--out", *out, "CSV file to write")->capture_default_str();
  cmd->add_option("--tickets", options->tickets, "How many tickets")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}))
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "Generator seed")
      ->check(seed_range())
      ->capture_default_str();
  cmd->add_option("--months", options->months, "Months of traffic")
      ->check(CLI::Range(1, 1200))
      ->capture_default_str();
  cmd->add_option("--label-noise", options->label_noise, "Share of wrong labels")
      ->check(finite_between(0, 1, "a share "))
      ->capture_default_str();
  cmd->add_option("--drift-month", options->drift_month,
                  "Month a new feature launches (beyond --months: never)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  cmd->callback([options, out] {
    write_synthetic_tickets(*out, *options);
    fmt::print("wrote {} tickets to {} (columns id, text, category, created_at)\n",
               options->tickets, *out);
  });
}
