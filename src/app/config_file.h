#pragma once
// --config FILE: the same settings as the flags, in YAML (docker-anomalies.example.yaml lists
// every key). Loaded before the command line is parsed, so flags given explicitly win.
#include <string>

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
};

// Unknown keys and wrong types are errors naming the key, so a typo never goes unnoticed.
Status load_config_file(const std::string& path, const ConfigTargets& targets);

// The value of --config (or --config=FILE) in argv; empty if absent.
std::string find_config_argument(int argc, char** argv);

}  // namespace da
