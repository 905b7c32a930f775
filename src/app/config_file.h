#pragma once
// One configuration tree: --config FILE (YAML; docker-anomalies.example.yaml lists every key),
// then `-o key.path=value` for any key of that tree (the value read as YAML: numbers, booleans,
// [lists]), then the flags, which are shorthands for some keys. Loaded before the command line
// is parsed, so a flag given explicitly wins over -o, and -o over the file.
#include <string>
#include <vector>

#include "app/commands.h"
#include "core/result.h"

namespace da {

// The settings a config file can hold, applied to every command's options.
struct ConfigTargets {
  CaptureOptions* run = nullptr;
  CaptureOptions* agent = nullptr;
  DetectOptions* detect = nullptr;
  ProfilesOptions* profiles = nullptr;
  AlertTestOptions* alert_test = nullptr;
  DumpOptions* dump = nullptr;
  CaptureOptions* check = nullptr;  // `config check`: what run would use
  std::string* log_level = nullptr;
  CaptureOptions* trace = nullptr;  // capture settings only (Redis, batch size)
  FleetOptions* fleet = nullptr;    // the Redis URL and credentials, and detection settings
};

// `path` may be empty (no file), `overrides` are the -o values in order. Unknown keys, wrong
// types and malformed -o are errors (ErrorCause::kInvalid) naming the key, so a typo never goes
// unnoticed.
Status load_config(const std::string& path, const std::vector<std::string>& overrides,
                   const ConfigTargets& targets);

// The value of --config (or --config=FILE) in argv; empty if absent.
std::string find_config_argument(int argc, char** argv);
// Every -o/--option value in argv (-o K=V, -oK=V, --option K=V, --option=K=V), in order.
std::vector<std::string> find_option_overrides(int argc, char** argv);

}  // namespace da
