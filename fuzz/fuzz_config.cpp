// --config FILE and -o key=value: any YAML (or not YAML) is a clear error or a configuration,
// never a crash.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "app/config_file.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = da::fuzz::write_scratch("config.yaml", {reinterpret_cast<const char*>(data), size});
  da::CaptureOptions run, agent;
  da::DetectOptions detect;
  da::ProfilesOptions profiles;
  da::AlertTestOptions alert_test;
  da::DumpOptions dump;
  da::CaptureOptions check;
  std::string log_level;
  const da::ConfigTargets targets{&run, &agent, &detect, &profiles, &alert_test, &dump, &check, &log_level};
  (void)da::load_config(path.string(), {}, targets);
  // The same bytes as -o overrides (one per line) on top of no file.
  std::vector<std::string> overrides;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (size_t start = 0; start <= text.size() && overrides.size() < 8;) {
    const size_t end = std::min(text.find('\n', start), text.size());
    overrides.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  (void)da::load_config("", overrides, targets);
  return 0;
}
