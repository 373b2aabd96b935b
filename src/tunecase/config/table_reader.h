#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace tunecase {

// The allowed values of a number: [min, max], either end open or unbounded. Every number must
// also be finite (TOML allows nan and inf; no setting of tunecase does).
struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;
  bool max_open = false;

  static Range any() { return {}; }
  static Range at_least(double v) { return {v}; }
  static Range above(double v) { return {v, std::numeric_limits<double>::infinity(), true}; }
  static Range between(double lo, double hi) { return {lo, hi}; }
  static Range rate() { return {0, 1}; }  // a share in [0, 1]
  bool contains(double v) const;
  std::string text() const;  // "> 0", ">= 1", "0 to 1"
};

// One key as the reader met it: for `tunecase check` (the settings in force, defaults marked)
// and for the configuration reference (every key with its type, default and meaning).
struct SettingRecord {
  std::string table;     // "data", "approach (linear)", "business", ...
  std::string key;       // "test_fraction", "hosting.usd_per_hour"
  std::string type;      // "number", "integer", "string", "true/false", "[min, max]", ...
  std::string value;     // the value in force, as TOML text; "" when unset and optional
  std::string fallback;  // the default, as TOML text; "" when there is none
  std::string doc;       // one line: what the key does
  bool is_default = true;
  int line = 0;                // where the value was written (0: not written)
  std::optional<Range> range;  // numbers: the allowed values (checked before it was accepted)
};

// A pair of whole numbers written as [min, max] (n-gram ranges).
struct IntPair {
  int min = 0;
  int max = 0;
};

// Reads one TOML table into typed values, once, at the edge. Every getter names its key, type,
// default and meaning; a wrong type, a value out of range, NaN or infinity is a UserError naming
// file:line, the table and the key, with what to write instead. finish() turns every key that no
// getter asked for into an "unknown key" error with the nearest known key as a suggestion, so a
// typo never passes silently. A reader over an absent table (nullptr) returns the defaults.
class TableReader {
 public:
  TableReader(const toml::table* table, std::string name, std::filesystem::path origin,
              std::vector<SettingRecord>* records = nullptr);
  // A reader of the inline table `key` of this one (hosting, price): same origin and records,
  // keys recorded as "key.sub".
  TableReader nested(const toml::table* table, std::string_view key) const;

  // Describe mode: nothing is required, so readers can be run on an empty table to list every
  // key (the configuration reference).
  void describe_only() { describing_ = true; }
  bool describing() const { return describing_; }

  bool present() const { return table_ != nullptr; }
  bool has(std::string_view key) const;
  // file:line of the key (or of the table when the key is absent).
  std::string where(std::string_view key = {}) const;
  const std::string& name() const { return name_; }
  const std::filesystem::path& origin() const { return origin_; }
  [[noreturn]] void fail(std::string_view key, const std::string& problem) const;

  std::string text(std::string_view key, std::string fallback, std::string_view doc,
                   const std::vector<std::string>& choices = {});
  std::optional<std::string> optional_text(std::string_view key, std::string_view doc,
                                           const std::vector<std::string>& choices = {});
  std::string required_text(std::string_view key, std::string_view doc);
  double number(std::string_view key, double fallback, Range range, std::string_view doc);
  std::optional<double> optional_number(std::string_view key, Range range, std::string_view doc);
  int64_t integer(std::string_view key, int64_t fallback, Range range, std::string_view doc);
  std::optional<int64_t> optional_integer(std::string_view key, Range range, std::string_view doc);
  bool boolean(std::string_view key, bool fallback, std::string_view doc);
  std::optional<bool> optional_boolean(std::string_view key, std::string_view doc);
  // [min, max] of whole numbers within `range`, min <= max; `false` (when allowed) or [] gives
  // {0, 0} ("off").
  IntPair int_pair(std::string_view key, IntPair fallback, Range range, std::string_view doc,
                   bool can_be_off = false);
  std::optional<std::vector<std::string>> text_list(std::string_view key, std::string_view doc,
                                                    const std::vector<std::string>& choices = {});
  std::optional<std::vector<double>> number_list(std::string_view key, Range range,
                                                 std::string_view doc);
  std::optional<std::vector<int64_t>> integer_list(std::string_view key, Range range,
                                                   std::string_view doc);
  std::optional<std::vector<bool>> boolean_list(std::string_view key, std::string_view doc);
  // An inline table or sub-table (hosting, price); nullptr when absent. Read it with a nested
  // TableReader named by subtable_name(key).
  const toml::table* table(std::string_view key, std::string_view doc, std::string_view example);
  std::string subtable_name(std::string_view key) const;
  // The raw node, for the documented escape hatch only (`extra`, passed to the API untouched).
  const toml::node* node(std::string_view key, std::string_view type, std::string_view doc);

  // Keys that belong elsewhere: key -> where it belongs ("openai and anthropic approaches"),
  // mentioned in the unknown-key message instead of a spelling suggestion.
  void set_elsewhere(std::map<std::string, std::string> elsewhere) {
    elsewhere_ = std::move(elsewhere);
  }
  // Every key of the table must have been asked for; throws for the first that was not.
  void finish() const;
  // The keys asked for so far, in order.
  const std::vector<std::string>& known_keys() const { return known_; }

 private:
  const toml::node* get(std::string_view key) const;
  void record(std::string_view key, std::string type, std::string fallback, std::string_view doc);
  [[noreturn]] void wrong_type(std::string_view key, std::string_view want) const;
  double checked_number(std::string_view key, const toml::node& node, Range range) const;

  const toml::table* table_;
  std::string name_;
  std::filesystem::path origin_;
  std::vector<SettingRecord>* records_;
  std::vector<std::string> known_;
  std::map<std::string, std::string> elsewhere_;
  std::string key_prefix_;
  bool describing_ = false;
};

// The TOML text of a node (for messages and `tunecase check`).
std::string toml_text(const toml::node& node);

// `s` as a TOML basic string, quoted and escaped: what `check` echoes and the demo writes can be
// read back as the same text.
std::string toml_quoted(const std::string& s);

}  // namespace tunecase
