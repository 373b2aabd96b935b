#include "tunecase/approaches/model_folder.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "tunecase/approaches/registry.h"
#include "tunecase/config/approach_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/core/output_dir.h"
#include "tunecase/privacy/sha256.h"
#include "tunecase/search/tokenize.h"

namespace tunecase {

std::string model_folder_name(const std::string& name) {
  return path_component_of(name, "approach");
}

namespace {

// The folder name before 2026-12-05, which replaced the bytes of non-ASCII characters too (so
// "线性" and "检索" shared "______"): an eval written then is still read.
std::string ascii_folder_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || out == "." || out == "..") out = "approach";
  return out;
}

// The name in a model folder's approach.json; empty when it cannot be read.
std::string saved_name(const std::filesystem::path& dir) {
  std::ifstream in(dir / "approach.json", std::ios::binary);
  if (!in) return "";
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  return doc.is_object() ? doc.value("name", std::string()) : std::string();
}

}  // namespace

std::filesystem::path model_folder(const ApproachConfig& approach,
                                   const std::filesystem::path& eval_dir) {
  if (!approach.model_dir.empty()) return approach.model_dir;
  std::filesystem::path dir = eval_dir / "models" / model_folder_name(approach.name);
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) return dir;
  std::filesystem::path legacy = eval_dir / "models" / ascii_folder_name(approach.name);
  if (legacy != dir && saved_name(legacy) == approach.name) return legacy;
  return dir;
}

std::string model_fingerprint(const std::filesystem::path& dir) {
  std::ifstream in(dir / "approach.json", std::ios::binary);
  if (!in) {
    throw UserError(fmt::format("cannot read {}: not a trained model folder",
                                (dir / "approach.json").string()));
  }
  std::string manifest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The file list is left out: the files are checked against it at load, and a model written
  // again byte for byte by a tunecase that lists them keeps the version an earlier one gave it
  // (an upgrade had made every registered model "another model", its rollback refused).
  nlohmann::json doc = nlohmann::json::parse(manifest, nullptr, false);
  if (doc.is_object() && doc.contains("files")) {
    doc.erase("files");
    return text_hash(doc.dump(2) + "\n");
  }
  return text_hash(manifest);
}

namespace {

void write_model_files(const std::filesystem::path& dir, const ApproachConfig& approach,
                       const Classifier& classifier, const std::vector<std::string>& labels,
                       std::size_t train_rows, const nlohmann::json& provenance) {
  // approach.json is written last and marks a complete model. It holds each file's SHA-256:
  // a file edited, cut short or damaged after training is refused at load (a cut example file
  // had loaded silently, answered otherwise and kept its version). The list is left out of the
  // version (model_fingerprint).
  classifier.save(dir);
  nlohmann::json files = nlohmann::json::object();
  std::vector<std::filesystem::path> saved;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().filename() != "approach.json")
      saved.push_back(entry.path());
  std::sort(saved.begin(), saved.end());
  for (const auto& file : saved) {
    FileDigest digest = sha256_file(file);
    files[file.filename().string()] = {{"sha256", digest.sha256}, {"bytes", digest.bytes}};
  }
  nlohmann::json doc = {{"format", "tunecase-model/1"},
                        {"name", approach.name},
                        {"kind", approach.kind},
                        {"config", approach.source},
                        {"trained", classifier.describe()},
                        {"labels", labels},
                        {"train_rows", train_rows},
                        {"tokenizer", kTokenizerVersion},
                        {"files", files}};
  if (!provenance.is_null()) doc["provenance"] = provenance;
  write_file(dir / "approach.json", doc.dump(2) + "\n");
}

}  // namespace

void refuse_file_as_folder(const std::filesystem::path& dir, std::string_view what) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
    throw UserError(fmt::format("{}: is a file, not {}; move it away, or use another --out folder",
                                dir.string(), what));
}

void save_model(const std::filesystem::path& dir, const ApproachConfig& approach,
                const Classifier& classifier, const std::vector<std::string>& labels,
                std::size_t train_rows, const nlohmann::json& provenance,
                const std::filesystem::path& keep_replaced) {
  // The model is written whole into a folder beside `dir`, then swapped into its place in one
  // step (renameat2 RENAME_EXCHANGE): a save killed part-way leaves the old model as it was,
  // never a folder a gateway serving it cannot load again (it had been rewritten in place).
  // Folders left by a killed save are removed first.
  const std::filesystem::path parent = dir.parent_path().empty() ? "." : dir.parent_path();
  create_output_dir(parent);
  refuse_file_as_folder(dir, "a model folder");
  const std::string prefix = "." + dir.filename().string() + ".saving-";
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ignored))
    if (entry.path().filename().string().starts_with(prefix))
      std::filesystem::remove_all(entry.path(), ignored);
  const std::filesystem::path staging = parent / (prefix + std::to_string(::getpid()));
  create_output_dir(staging);
  try {
    write_model_files(staging, approach, classifier, labels, train_rows, provenance);
  } catch (...) {
    std::filesystem::remove_all(staging, ignored);
    throw;
  }
  // The replaced model: kept where asked (the first one kept stays), else deleted.
  auto retire = [&](const std::filesystem::path& old) {
    std::error_code error;
    if (!keep_replaced.empty() && !std::filesystem::exists(keep_replaced, error)) {
      std::filesystem::create_directories(keep_replaced.parent_path(), error);
      std::filesystem::rename(old, keep_replaced, error);
      if (!error) return;
    }
    std::filesystem::remove_all(old, error);
  };
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
    retire(staging);  // now the old model
    return;
  }
  const int exchange_error = errno;
  std::error_code ec;
  if (exchange_error == ENOENT) {  // no model there yet
    std::filesystem::rename(staging, dir, ec);
    if (!ec) return;
  } else if (exchange_error == EINVAL || exchange_error == ENOSYS || exchange_error == EOPNOTSUPP) {
    // A file system without the exchange (NFS): the old model is moved aside, then the new one
    // in; a kill between the two leaves the old one beside, under the staging prefix.
    const std::filesystem::path old = parent / (prefix + "old-" + std::to_string(::getpid()));
    std::filesystem::rename(dir, old, ec);
    if (!ec) std::filesystem::rename(staging, dir, ec);
    if (!ec) {
      retire(old);
      return;
    }
  }
  std::filesystem::remove_all(staging, ignored);
  throw UserError(fmt::format(
      "{}: cannot put the trained model in place ({}); check the output "
      "folder",
      dir.string(), ec ? ec.message() : std::generic_category().message(exchange_error)));
}

namespace {

// Every file approach.json lists, as it was saved: UserError naming the first that is missing
// or differs. A model saved before the list was kept has none to check.
void check_model_files(const std::filesystem::path& dir, const nlohmann::json& doc) {
  if (!doc.contains("files") || !doc["files"].is_object()) return;
  for (const auto& [name, saved] : doc["files"].items()) {
    const std::filesystem::path file = dir / name;
    std::error_code ec;
    if (name.find('/') != std::string::npos || name == ".." ||
        !std::filesystem::is_regular_file(file, ec))
      throw UserError(fmt::format(
          "{}: missing from the model folder, which approach.json says holds it; copy the whole "
          "folder again from where it was trained, or retrain it (`tunecase eval`)",
          file.string()));
    const FileDigest now = sha256_file(file);
    const std::string expected = saved.is_object() ? saved.value("sha256", std::string()) : "";
    if (now.sha256 != expected)
      throw UserError(fmt::format(
          "{}: not the file that was trained ({} bytes, SHA-256 {}; approach.json records {} "
          "bytes, {}): edited, cut short or damaged since; copy the whole model folder again "
          "from where it was trained, or retrain it (`tunecase eval`)",
          file.string(), now.bytes, now.sha256.substr(0, 12),
          saved.is_object() ? saved.value("bytes", std::uintmax_t{0}) : 0,
          expected.empty() ? "nothing" : expected.substr(0, 12)));
  }
}

}  // namespace

LoadedModel load_model(const std::filesystem::path& dir) {
  std::filesystem::path file = dir / "approach.json";
  std::ifstream in(file);
  if (!in) {
    throw UserError(
        fmt::format("{}: not a model folder (no approach.json); pass a folder under "
                    "<eval out>/models/, written by tunecase eval",
                    dir.string()));
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw UserError(fmt::format("{}: malformed JSON ({}); run tunecase eval again to rewrite it",
                                file.string(), e.what()));
  }
  if (!doc.is_object() || doc.value("format", "") != "tunecase-model/1")
    throw UserError(
        fmt::format("{}: not a tunecase model (format tunecase-model/1 expected)", file.string()));
  nlohmann::json source = doc.value("config", nlohmann::json::object());
  if (!source.is_object()) source = nlohmann::json::object();
  if (!source.contains("name")) source["name"] = doc.value("name", "");
  if (!source.contains("kind")) source["kind"] = doc.value("kind", "");
  LoadedModel m;
  m.approach = approach_from_json(source, file);
  m.labels = doc.value("labels", std::vector<std::string>{});
  if (!m.approach.is_local()) {
    throw UserError(fmt::format("{}: kind '{}' cannot be loaded as a local model", file.string(),
                                m.approach.kind));
  }
  check_model_files(dir, doc);
  m.classifier = make_classifier(m.approach);
  m.classifier->load(dir);
  const nlohmann::json tokenizer = doc.contains("tokenizer") ? doc["tokenizer"] : nlohmann::json(1);
  // Said unless a tokenizer note says more: a model of an earlier tunecase cannot be checked.
  const std::string unchecked =
      doc.contains("files")
          ? std::string()
          : fmt::format(
                "{}: written by an earlier tunecase, which kept no checksums of its files: a "
                "file edited or cut short since cannot be noticed; retrain it (`tunecase eval`) "
                "to have them checked at every load",
                dir.string());
  if (tokenizer.is_number_integer() && tokenizer.get<int64_t>() > kTokenizerVersion)
    m.note = fmt::format(
        "{}: written by a newer tunecase (word splitting version {}, this one knows {}): it may "
        "split texts into words the model does not know; upgrade tunecase, or retrain it with "
        "this one",
        dir.string(), tokenizer.get<int64_t>(), kTokenizerVersion);
  else if (!tokenizer.is_number_integer() || tokenizer.get<int64_t>() < 1)
    m.note = fmt::format(
        "{}: approach.json's \"tokenizer\" is {}, not a version number; retrain it (`tunecase "
        "eval`) to write it again",
        dir.string(), tokenizer.dump());
  else if (tokenizer.get<int64_t>() != kTokenizerVersion)
    m.note = fmt::format(
        "{}: trained with the word splitting of an earlier tunecase, which {}; such texts may "
        "now be read as words it knows, others not. Retrain it (`tunecase eval`, or `tunecase "
        "retrain`) to match this version",
        dir.string(),
        tokenizer.get<int64_t>() == 1
            ? "kept a word and the non-ASCII punctuation touching it together (\"\u201crefund"
              "\u201d\" was a word apart from \"refund\"), and a Chinese, Japanese or Thai "
              "clause as one word"
            : "kept a Chinese, Japanese or Thai clause as one word (its character pairs are the "
              "words now); a model of texts in other scripts is unchanged");
  if (m.note.empty()) m.note = unchecked;
  return m;
}

}  // namespace tunecase
