#include "tunecase/config/approach_settings.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <fmt/format.h>

#include "tunecase/config/approach_kinds.h"
#include "tunecase/core/error.h"
#include "tunecase/core/suggest.h"

namespace tunecase {
namespace {

const Range kNonNegative = Range::at_least(0);

void read_hosting(TableReader& parent, ApproachCostSettings& costs) {
  const toml::table* t = parent.table("hosting", "self-hosted bill (assumed)",
                                      "{ usd_per_hour = 0.10, instances = 1 }");
  if (t == nullptr && !parent.describing()) return;
  TableReader r = parent.nested(t, "hosting");
  HostingSettings h;
  h.usd_per_hour = r.optional_number("usd_per_hour", kNonNegative, "price of one instance-hour");
  h.usd_per_month =
      r.optional_number("usd_per_month", kNonNegative, "the whole hosting bill per month");
  h.instances = static_cast<int>(
      r.integer("instances", 1, Range::between(1, 100000), "instances running all month"));
  h.billing = r.text("billing", "fixed",
                     "fixed: instances run all month; per_query: "
                     "usd_per_hour / (3600 x throughput x utilisation)",
                     {"fixed", "per_query"});
  h.throughput_per_s = r.optional_number("throughput_per_s", Range::above(0),
                                         "queries per second per instance (default: measured)");
  r.finish();
  if (r.describing()) return;
  if (h.billing == "fixed" && !h.usd_per_hour && !h.usd_per_month)
    r.fail("", "needs usd_per_hour (with instances) or usd_per_month");
  if (h.usd_per_hour && h.usd_per_month)
    r.fail("usd_per_month", "give either usd_per_hour (with instances) or usd_per_month, not both");
  if (h.billing == "per_query" && !h.usd_per_hour)
    r.fail("billing", "\"per_query\" needs usd_per_hour");
  costs.hosting = h;
}

void read_costs(TableReader& r, ApproachCostSettings& c) {
  c.accuracy = r.optional_number("accuracy", Range::rate(),
                                 "scenario mode: assumed accuracy (0..1); --eval measures it");
  c.harmful_error_rate = r.optional_number("harmful_error_rate", Range::rate(),
                                           "scenario mode: share of queries causing an incident");
  c.usd_per_query = r.optional_number("usd_per_query", kNonNegative, "assumed price per query");
  c.training_usd = r.optional_number("training_usd", kNonNegative, "one-time training runs");
  c.engineering_weeks =
      r.optional_number("engineering_weeks", kNonNegative, "one-time engineering weeks");
  c.retrain_every_months =
      r.optional_number("retrain_every_months", kNonNegative, "retraining cadence (0: no plan)");
  c.retrain_usd = r.optional_number("retrain_usd", kNonNegative, "cost of one retraining");
  c.maintenance_weeks_per_month = r.optional_number("maintenance_weeks_per_month", kNonNegative,
                                                    "ongoing engineering weeks per month");
  c.time_to_ship_weeks =
      r.optional_number("time_to_ship_weeks", kNonNegative, "weeks before it serves traffic");
  c.finetune_record = resolve_path(
      r.origin().parent_path(),
      r.text("finetune_record", "",
             "finetune.json of `tunecase finetune`: training $ measured, retrain $ per job"));
  c.monitoring_usd_per_month = r.optional_number("monitoring_usd_per_month", kNonNegative,
                                                 "overrides [business] monitoring_usd_per_month");
  c.trained = r.optional_boolean("trained", "a trained (fine-tuned or self-hosted) model");
  read_hosting(r, c);
}

Bm25Params read_index(TableReader& r, IntPair default_chars, double default_weight) {
  Bm25Params p;
  p.k1 = r.number("k1", 1.2, kNonNegative, "BM25 term-frequency saturation");
  p.b = r.number("b", 0.75, Range::rate(), "BM25 length normalisation");
  IntPair chars = r.int_pair("char_ngrams", default_chars, Range::between(1, 20),
                             "character n-grams inside words, beside the words", true);
  p.char_ngram_min = chars.min;
  p.char_ngram_max = chars.max;
  p.char_ngram_weight =
      r.number("char_ngram_weight", default_weight, kNonNegative, "weight of character n-grams");
  p.char_ngram_max_df = r.number("char_ngram_max_df", 1.0, Range{0, 1, true, false},
                                 "leave out character n-grams in more than this share of texts");
  return p;
}

// OpenAI accepts a suffix of up to 64 characters; letters, digits, '-' and '_' survive every
// provider's model-id rules.
bool valid_suffix(const std::string& suffix) {
  if (suffix.size() > 64) return false;
  for (unsigned char c : suffix)
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
  return true;
}

void read_finetune(TableReader& parent, LlmSettings& s) {
  const toml::table* t = parent.table(
      "finetune", "what `tunecase finetune` trains (docs/finetune.md)",
      "{ base_model = \"gpt-4.1-mini-2025-04-14\", epochs = 3, suffix = \"tickets\" }");
  if (t == nullptr && !parent.describing()) return;
  TableReader r = parent.nested(t, "finetune");
  FinetuneSettings f;
  f.base_model = r.text("base_model", "", "the provider's fine-tunable model snapshot (required)");
  f.epochs = static_cast<int>(r.integer("epochs", f.epochs, Range::between(1, 50),
                                        "passes over the training file (trained tokens scale)"));
  f.suffix = r.text("suffix", "", "up to 64 letters, digits, - or _ in the model id");
  r.finish();
  if (r.describing()) return;
  if (f.base_model.empty())
    r.fail("base_model",
           "is required: name the model to fine-tune, e.g. base_model = "
           "\"gpt-4.1-mini-2025-04-14\"");
  if (!valid_suffix(f.suffix))
    r.fail("suffix",
           fmt::format("\"{}\" must be at most 64 letters, digits, '-' or '_'", f.suffix));
  s.finetune = f;
}

std::map<std::string, std::string> keys_of_other_kinds(std::string_view kind) {
  std::map<std::string, std::string> out;
  for (const auto& k : approach_kinds()) {
    if (kind == k.name) continue;
    TableReader r(nullptr, "", "");
    r.describe_only();
    ApproachConfig scratch;
    scratch.kind = k.name;
    k.read(r, scratch);
    for (const auto& key : r.known_keys()) {
      auto& where = out[key];
      where += (where.empty() ? "kind = " : " and ") + fmt::format("\"{}\"", k.name);
    }
  }
  for (auto& [key, where] : out) where += " approaches";
  return out;
}

}  // namespace

std::filesystem::path resolve_path(const std::filesystem::path& base, const std::string& p) {
  if (p.empty()) return {};
  std::filesystem::path path(p);
  if (path.is_absolute()) return path;
  return std::filesystem::absolute(base / path).lexically_normal();
}

void read_linear_settings(TableReader& r, ApproachConfig& a) {
  LinearSettings& s = a.linear;
  s.model = r.text("model", s.model, "svm (linear SVM) or logreg (logistic regression)",
                   {"svm", "logreg"});
  s.C = r.number("C", s.C, Range::above(0), "inverse regularisation strength");
  s.search_c = r.boolean("search_c", s.search_c, "pick C on the dev split");
  s.threads =
      static_cast<int>(r.integer("threads", s.threads, Range::between(1, 256), "training threads"));
  s.word_ngrams =
      r.int_pair("word_ngrams", s.word_ngrams, Range::between(1, 10), "word n-gram lengths");
  s.char_ngrams = r.int_pair("char_ngrams", s.char_ngrams, Range::between(1, 10),
                             "character n-gram lengths (inside word boundaries)");
  s.min_df = static_cast<int>(
      r.integer("min_df", s.min_df, Range::between(1, 1e9), "drop n-grams seen in fewer texts"));
}

void read_fasttext_settings(TableReader& r, ApproachConfig& a) {
  FasttextSettings& s = a.fasttext;
  auto whole = [&r](const char* key, int fallback, double min, double max, const char* doc) {
    return static_cast<int>(r.integer(key, fallback, Range::between(min, max), doc));
  };
  s.epoch = whole("epoch", s.epoch, 1, 10000, "training epochs");
  s.lr = r.number("lr", s.lr, Range{0, 10, true, false}, "learning rate");
  s.word_ngrams = whole("word_ngrams", s.word_ngrams, 1, 10, "longest word n-gram");
  s.minn = whole("minn", s.minn, 0, 20, "shortest character n-gram (0: none)");
  s.maxn = whole("maxn", s.maxn, 0, 20, "longest character n-gram (0: none)");
  if (s.maxn > 0 && s.minn > s.maxn)
    r.fail("minn", fmt::format("({}) must not exceed maxn ({})", s.minn, s.maxn));
  s.dim = whole("dim", s.dim, 1, 1000, "vector size");
  s.bucket = whole("bucket", s.bucket, 1, 100000000, "hash buckets for n-grams");
  s.loss = r.text("loss", s.loss, "softmax, ova (one-vs-all) or hs", {"softmax", "ova", "hs"});
  s.threads = whole("threads", s.threads, 1, 256, "training threads");
  s.autotune_seconds =
      whole("autotune_seconds", s.autotune_seconds, 0, 86400,
            "search on dev within this budget (0: off; no search under 100 dev rows); the "
            "defaults are always fitted whole first, which on long texts can take longer");
  s.autotune_trials =
      whole("autotune_trials", s.autotune_trials, 1, 1000, "at most this many search candidates");
  s.seed = whole("seed", s.seed, 0, 2147483647, "seed of the search and training file order");
}

// Defaults chosen on a dev split carved from HWU64 train (docs/benchmarks.md, "Retrieval").
void read_retrieval_settings(TableReader& r, ApproachConfig& a) {
  a.retrieval.k = static_cast<int>(
      r.integer("k", a.retrieval.k, Range::between(1, 1000), "neighbours that vote"));
  a.retrieval.index = read_index(r, {3, 4}, 0.1);
}

void read_llm_settings(TableReader& r, ApproachConfig& a) {
  LlmSettings& s = a.llm;
  bool openai = a.kind != "anthropic";
  s.base_url =
      r.text("base_url", openai ? "https://api.openai.com/v1" : "https://api.anthropic.com/v1",
             openai ? "the API's base URL: any OpenAI-compatible server (vLLM, llama.cpp, "
                      "Ollama, tunecase sim-llm)"
                    : "the API's base URL: any server of the Anthropic Messages API");
  while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
  // The API's path is appended to base_url, and the URL is written to eval.json, the cache and
  // error messages: a query or fragment would sit before the path, and a password or key in the
  // URL would be written out with it.
  {
    const std::size_t scheme = s.base_url.find("://");
    const std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
    const std::size_t authority_end = s.base_url.find_first_of("/?#", start);
    const std::string_view authority =
        std::string_view(s.base_url)
            .substr(start, authority_end == std::string::npos ? std::string_view::npos
                                                              : authority_end - start);
    // First what may hold a secret, which no later message may then repeat.
    if (authority.find('@') != std::string_view::npos)
      r.fail("base_url",
             "carries user info (\"user:password@\"); give the key through the environment "
             "variable api_key_env names, never in the URL, which reports and caches record");
    // A space or a control character (a line break pasted with the URL) had passed `check`, then
    // gone into the request line: a 400 from the server, or "cannot reach" one that was up.
    // Unicode spaces and invisible characters too (a no-break or zero-width space pasted from a
    // web page or a chat), which visible() writes out as \u{...}.
    if (std::any_of(s.base_url.begin(), s.base_url.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; }) ||
        visible(s.base_url) != s.base_url)
      r.fail("base_url",
             fmt::format("holds a space, tab, line break or invisible character ({}; a URL has "
                         "none, and one pasted with it, at an end too, is part of the value); "
                         "write the URL alone, e.g. \"http://127.0.0.1:8000/v1\"",
                         visible(s.base_url)));
    if (s.base_url.find_first_of("?#") != std::string::npos)
      r.fail("base_url",
             "has a query string or fragment; base_url is scheme://host[:port]/path, to which the "
             "API's path (/chat/completions, /messages) is appended; give a key through "
             "api_key_env, and request fields through extra = { ... }");
    // Only HTTP is spoken: another scheme (ftp://, a path) had hung on its first request for the
    // whole time-out and then advised a longer timeout_ms.
    const std::string scheme_name =
        scheme == std::string::npos ? std::string() : s.base_url.substr(0, scheme);
    if (s.base_url == "http:" || s.base_url == "https:")  // "http://", its slashes trimmed
      r.fail("base_url", fmt::format("\"{}//\" has no host; write {}//host[:port]/path", s.base_url,
                                     s.base_url));
    if (scheme_name != "http" && scheme_name != "https")
      r.fail("base_url",
             scheme == std::string::npos
                 ? fmt::format("\"{}\" has no scheme; write http://host[:port]/path or "
                               "https://host[:port]/path (e.g. \"http://127.0.0.1:8000/v1\")",
                               s.base_url)
                 : fmt::format("\"{}\": only http:// and https:// are spoken, not {}://",
                               s.base_url, scheme_name));
    // A host, and a port a socket can have: "http://" (its slashes trimmed) and ":99999" had
    // passed check and failed at the first request, after its retries.
    if (authority.empty() || authority.front() == ':')
      r.fail("base_url", fmt::format("\"{}\" has no host; write {}://host[:port]/path", s.base_url,
                                     scheme_name.empty() ? "http" : scheme_name));
    // An IPv6 literal is bracketed whole ("[::1]:8000"), and a host holds no spaces:
    // "http://[::1/v1" had passed check and failed only at the first request.
    if (!authority.empty()) {
      const std::size_t open = authority.find('['), close = authority.find(']');
      // Inside the brackets an IPv6 address: hex digits, colons, dots (an IPv4 tail), and a
      // zone after '%' ("[fe80::1%25eth0]").
      const std::string_view inside =
          close != std::string_view::npos && close > 0 ? authority.substr(1, close - 1) : "";
      const std::string_view address = inside.substr(0, inside.find('%'));
      const bool bracketed =
          open == 0 && close != std::string_view::npos &&
          (close + 1 == authority.size() || authority[close + 1] == ':') &&
          address.find(':') != std::string_view::npos &&
          address.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
      if ((open != std::string_view::npos || close != std::string_view::npos) && !bracketed)
        r.fail("base_url", fmt::format("\"{}\": an IPv6 address is written in brackets, whole, "
                                       "before any port (e.g. \"http://[::1]:8000/v1\")",
                                       s.base_url));
      if (authority.find_first_of(" \t\r\n") != std::string_view::npos)
        r.fail("base_url", fmt::format("\"{}\": the host holds a space", s.base_url));
    }
    if (const std::size_t colon = authority.rfind(':');
        colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
      const std::string_view port = authority.substr(colon + 1);
      const bool digits = !port.empty() && std::all_of(port.begin(), port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
      if (!digits || port.size() > 5 || std::stoi(std::string(port)) < 1 ||
          std::stoi(std::string(port)) > 65535)
        r.fail("base_url",
               fmt::format("\"{}\": the port must be a number from 1 to 65535", s.base_url));
    }
  }
  s.api_key_env =
      r.text("api_key_env", "", "environment variable holding the key (none for a local server)");
  // The name of a variable, not a shell expansion and never the key itself (which the message
  // does not repeat: config errors are printed and logged).
  if (!s.api_key_env.empty()) {
    const std::string& v = s.api_key_env;
    // A key of letters, digits and _ only (hf_..., gsk_..., 40 random characters) would pass as a
    // name and be printed back by check and the missing-variable error. Keys mix digits into
    // their letters all along; names have a digit or a year at most (AZURE_KEY_2025, keyWest2).
    int switches = 0;
    for (std::size_t i = 1; i < v.size(); ++i)
      switches += (std::isdigit(static_cast<unsigned char>(v[i])) != 0) !=
                  (std::isdigit(static_cast<unsigned char>(v[i - 1])) != 0);
    const bool key_like = (v.size() >= 20 && switches >= 6) || v.rfind("hf_", 0) == 0 ||
                          v.rfind("gsk_", 0) == 0 || v.rfind("AIza", 0) == 0;
    const bool name = std::all_of(v.begin(), v.end(),
                                  [](unsigned char c) { return std::isalnum(c) || c == '_'; }) &&
                      !std::isdigit(static_cast<unsigned char>(v.front()));
    if (key_like)
      r.fail("api_key_env",
             "looks like a key, not the name of an environment variable: remove the key from the "
             "file, export it in a variable (e.g. OPENAI_API_KEY) and name that variable here; "
             "keys are never read from the config");
    if (v.front() == '$' && v.size() > 1)
      r.fail("api_key_env",
             fmt::format("names the variable, without the shell's $: write api_key_env = \"{}\"",
                         v.substr(v.find_first_not_of("${"),
                                  v.find_last_not_of("}") - v.find_first_not_of("${") + 1)));
    if (!name)
      r.fail("api_key_env",
             "is not the name of an environment variable (letters, digits and _, e.g. "
             "OPENAI_API_KEY); if it holds the key itself, remove it from the file, export the key "
             "in a variable and name that variable here: keys are never read from the config");
  }
  s.model = r.text("model", "", "the model id sent to the API and priced from the catalogue");
  s.prompt = r.text("prompt", s.prompt, "the prompt strategy",
                    {"zero_shot", "few_shot", "retrieval_few_shot", "chain_of_thought"});
  bool examples = s.prompt == "few_shot" || s.prompt == "retrieval_few_shot";
  if (auto shots = r.optional_integer("shots", Range::between(0, 1000),
                                      "examples per prompt (default 5 for few-shot prompts)")) {
    if (examples && *shots == 0)
      r.fail("shots", fmt::format("0 does not work with prompt = \"{}\"; use shots >= 1 (or "
                                  "prompt = \"zero_shot\")",
                                  s.prompt));
    // A zero-shot prompt with examples is a few-shot prompt under another name: a bake-off of
    // the two had compared few-shot with itself.
    if (s.prompt == "zero_shot" && *shots > 0)
      r.fail("shots", fmt::format("{} examples do not go with prompt = \"zero_shot\", which shows "
                                  "none; remove shots, or use prompt = \"few_shot\"",
                                  *shots));
    s.shots = static_cast<int>(*shots);
  }
  s.selection =
      r.text("selection", s.selection, "how few_shot draws its examples", {"stratified", "random"});
  s.example_seed = r.optional_integer("example_seed", kNonNegative,
                                      "fixes which examples few_shot shows (default: [data] seed)");
  s.label_descriptions =
      r.boolean("label_descriptions", true, "add the [labels] descriptions to the label list");
  s.structured_output =
      r.boolean("structured_output", false, "JSON schema with the label set as an enum");
  s.template_file =
      resolve_path(r.origin().parent_path(),
                   r.text("template_file", "", "your own prompt layout (docs/llm-approaches.md)"))
          .string();
  if (auto cut = r.optional_integer(
          "max_text_chars", Range::between(16, 10000000),
          "cut each text in the prompt (the item, the examples) to this many characters"))
    s.max_text_chars = static_cast<int>(*cut);
  s.temperature = r.number("temperature", 0, Range::between(0, 2), "sampling temperature");
  if (auto m = r.optional_integer("max_tokens", Range::between(1, 1000000),
                                  "answer length cap (default 64; 256 for chain_of_thought)"))
    s.max_tokens = static_cast<int>(*m);
  s.seed = r.optional_integer("seed", Range::any(), "sampling seed, where the API supports it");
  if (const toml::node* extra = r.node("extra", "table", "merged into the request body as is")) {
    if (!extra->is_table())
      r.fail("extra", "must be a table of request fields, e.g. { top_p = 1 }");
    s.extra = toml_to_json(*extra->as_table());
    // Fields tunecase writes itself, and prices, estimates, caps or reads the answer by: replaced
    // through extra, the request would differ from what every figure says (a model priced as
    // another, max_tokens past the worst case a spend cap reserves, a stream nobody reads).
    static const std::vector<std::pair<std::string, std::string>> kOwnFields = {
        {"model", "set model = \"...\" in the approach instead: it is priced from that key"},
        {"max_tokens", "set max_tokens in the approach instead: estimates and caps read it"},
        {"max_completion_tokens",
         "set max_tokens in the approach instead (sent as max_completion_tokens where the model "
         "wants it): estimates and caps read it"},
        {"temperature", "set temperature in the approach instead: the reports record it"},
        {"seed", "set seed in the approach instead: the reports record it"},
        {"messages", "the prompt is built from prompt, template and the data"},
        {"system", "the prompt is built from prompt, template and the data"},
        {"response_format", "set structured_output = true in the approach instead"},
        {"tools", "set structured_output = true in the approach instead"},
        {"tool_choice", "set structured_output = true in the approach instead"},
        {"stream", "tunecase reads whole answers, not streams"},
        {"n", "one answer per request is read and priced"}};
    for (const auto& [field, instead] : kOwnFields)
      if (s.extra.contains(field))
        r.fail("extra", fmt::format("{} is a field tunecase sets itself; {}", field, instead));
  }
  const toml::table* p = r.table("price", "USD per 1M tokens, replacing the catalogue",
                                 "{ input = 0.15, cached_input = 0.075, output = 0.60 }");
  if (p != nullptr || r.describing()) {  // described for the reference even when absent
    TableReader pr = r.nested(p, "price");
    PriceOverride price;
    price.input = pr.number("input", 0, kNonNegative,
                            "USD per 1M input tokens (a price table needs input and output; "
                            "without one the catalogue prices the model, and a model it lacks "
                            "has an unknown cost, never $0)");
    price.cached_input = pr.optional_number("cached_input", kNonNegative, "USD per 1M cached");
    price.cache_write = pr.optional_number(
        "cache_write", kNonNegative,
        "USD per 1M tokens written to the prompt cache for 5 minutes (default 1.25x input)");
    price.cache_write_1h = pr.optional_number(
        "cache_write_1h", kNonNegative,
        "USD per 1M tokens written to the prompt cache for an hour (default 2x input)");
    price.output = pr.number("output", 0, kNonNegative, "USD per 1M output tokens");
    price.date = pr.text("date", "", "when the price was read");
    pr.finish();  // a misspelt key is named first ("inptu": did you mean input?)
    if (!pr.describing() && (!pr.has("input") || !pr.has("output")))
      pr.fail("", "needs input and output");
    if (p != nullptr) s.price = price;
  }
  s.prices =
      resolve_path(r.origin().parent_path(),
                   r.text("prices", "", "another price catalogue file (default data/prices.toml)"))
          .string();
  s.rpm = r.number("rpm", 0, kNonNegative, "requests per minute (0: no limit)");
  if (auto t = r.optional_integer("timeout_ms", Range::between(100, 3600000),
                                  "time-out of one request, connection included (default 60000; "
                                  "30000 a try in serve)"))
    s.timeout_ms = static_cast<int>(*t);
  s.tpm = r.number("tpm", 0, kNonNegative, "tokens per minute (0: no limit)");
  s.index = read_index(r, {3, 4}, 0.1);
  if (a.kind == "openai") read_finetune(r, s);
  // Anthropic's Messages API takes 0 to 1; above it every request is refused with a 400, after
  // the local approaches of the run had trained and before anything was written.
  if (a.kind == "anthropic" && s.temperature > 1)
    r.fail("temperature",
           fmt::format("{} is above 1, the most Anthropic's API takes; use 0 to 1", s.temperature));
  if (s.finetune && s.prompt == "chain_of_thought")
    r.fail("finetune",
           "cannot fine-tune prompt = \"chain_of_thought\": the training file would need a "
           "reasoning for every example; fine-tune a zero_shot (or few_shot) approach instead");
}

std::vector<SettingRecord> approach_reference_records(std::string_view kind) {
  std::vector<SettingRecord> records;
  TableReader r(nullptr, "[[approach]]", "reference", &records);
  r.describe_only();
  ApproachConfig scratch;
  if (const ApproachKind* k = find_kind(kind)) {
    scratch.kind = k->name;
    k->read(r, scratch);
    return records;
  }
  r.text("name", "", "a unique name, used in every report");
  r.text("kind", "", fmt::format("one of {}", kind_names()));
  r.text("model_dir", "", "a trained model folder (from tunecase eval)");
  read_costs(r, scratch.costs);
  return records;
}

ApproachConfig read_approach_table(const toml::table& table, const std::filesystem::path& origin,
                                   std::vector<SettingRecord>* records,
                                   std::string_view default_kind) {
  ApproachConfig a;
  a.where = fmt::format("{}:{}", origin.string(), table.source().begin.line);
  if (table.source().begin.line == 0) a.where = origin.string();
  TableReader head(&table, "[[approach]]", origin);
  a.name = head.optional_text("name", "unique name").value_or("");
  a.kind = head.optional_text("kind", "kind").value_or(std::string(default_kind));
  if (a.name.empty()) head.fail("", "needs name = \"...\" (a unique name for reports)");
  if (a.kind.empty())
    head.fail("", fmt::format("'{}' needs kind = \"...\"; use one of {}", a.name, kind_names()));
  const ApproachKind* kind = find_kind(a.kind);
  if (kind == nullptr) {
    std::vector<std::string> names;
    for (const auto& k : approach_kinds()) names.emplace_back(k.name);
    head.fail("kind", fmt::format("\"{}\" is not known; use one of {}{}", a.kind, kind_names(),
                                  did_you_mean(a.kind, names)));
  }
  TableReader r(&table, fmt::format("[[approach]] '{}' (kind {})", a.name, a.kind), origin,
                records);
  r.text("name", a.name, "a unique name, used in every report");
  r.text("kind", a.kind, fmt::format("one of {}", kind_names()));
  a.model_dir = resolve_path(
      origin.parent_path(), r.text("model_dir", "", "a trained model folder (from tunecase eval)"));
  read_costs(r, a.costs);
  kind->read(r, a);
  r.set_elsewhere(keys_of_other_kinds(a.kind));
  r.finish();
  a.source = toml_to_json(table);
  a.source["kind"] = a.kind;
  if (!a.model_dir.empty()) a.source["model_dir"] = a.model_dir.string();
  if (!a.llm.template_file.empty()) a.source["template_file"] = a.llm.template_file;
  if (!a.llm.prices.empty()) a.source["prices"] = a.llm.prices;
  return a;
}

ApproachConfig approach_from_json(const nlohmann::json& source,
                                  const std::filesystem::path& origin) {
  if (!source.is_object())
    throw UserError(
        fmt::format("{}: the approach settings must be a JSON object", origin.string()));
  toml::table table = json_to_toml(source);
  return read_approach_table(table, origin);
}

nlohmann::json toml_to_json(const toml::table& table) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, node] : table) {
    nlohmann::json v;
    if (auto t = node.as_table()) {
      v = toml_to_json(*t);
    } else if (auto a = node.as_array()) {
      v = nlohmann::json::array();
      for (const auto& item : *a) {
        toml::table wrap;
        wrap.insert("x", item);
        v.push_back(toml_to_json(wrap)["x"]);
      }
    } else if (auto s = node.as_string()) {
      v = s->get();
    } else if (auto i = node.as_integer()) {
      v = i->get();
    } else if (auto f = node.as_floating_point()) {
      v = f->get();
    } else if (auto b = node.as_boolean()) {
      v = b->get();
    } else {
      v = toml_text(node);  // dates and times stay as their TOML text
    }
    out[std::string(key.str())] = std::move(v);
  }
  return out;
}

namespace {

void insert_json(toml::table& out, const std::string& key, const nlohmann::json& v);

toml::array json_array(const nlohmann::json& list) {
  toml::array out;
  for (const auto& item : list) {
    toml::table wrap;
    insert_json(wrap, "x", item);
    out.push_back(*wrap.get("x"));
  }
  return out;
}

void insert_json(toml::table& out, const std::string& key, const nlohmann::json& v) {
  if (v.is_object()) {
    out.insert(key, json_to_toml(v));
  } else if (v.is_array()) {
    out.insert(key, json_array(v));
  } else if (v.is_string()) {
    out.insert(key, v.get<std::string>());
  } else if (v.is_boolean()) {
    out.insert(key, v.get<bool>());
  } else if (v.is_number_integer()) {
    out.insert(key, v.get<int64_t>());
  } else if (v.is_number()) {
    out.insert(key, v.get<double>());
  }
  // null has no TOML form: the key is left out, as if not written
}

}  // namespace

toml::table json_to_toml(const nlohmann::json& object) {
  toml::table out;
  for (const auto& [key, value] : object.items()) insert_json(out, key, value);
  return out;
}

std::string approach_table_text(const nlohmann::json& source) {
  toml::table root;
  toml::array approaches;
  approaches.push_back(json_to_toml(source));
  root.insert("approach", std::move(approaches));
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

}  // namespace tunecase
