#pragma once

#include <filesystem>

namespace tunecase {

// What the user asked of the response cache: --cache FILE, --no-cache, or neither.
struct CacheChoice {
  std::filesystem::path file;  // --cache FILE
  bool disabled = false;       // --no-cache
};

// The cache file a run uses: --cache FILE; none with --no-cache; else one per project,
// `.tunecase/cache.sqlite` beside the config file, so eval, optimize, curve and serve of one
// project share their answers whatever --out they write to; without a config file one per user
// ($XDG_CACHE_HOME/tunecase/cache.sqlite, else ~/.cache/tunecase/cache.sqlite). "" = no cache.
// A hit is exactly as safe as before: the key is still endpoint, model and full request body.
std::filesystem::path resolve_cache_file(const CacheChoice& choice,
                                         const std::filesystem::path& config_file);

}  // namespace tunecase
