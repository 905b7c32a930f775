// --config FILE: any YAML (or not YAML) is a clear error or a configuration, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/config_file.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = da::fuzz::write_scratch("config.yaml", {reinterpret_cast<const char*>(data), size});
  da::CaptureOptions run, agent;
  da::DetectOptions detect;
  da::ProfilesOptions profiles;
  da::AlertTestOptions alert_test;
  (void)da::load_config_file(path.string(), {&run, &agent, &detect, &profiles, &alert_test});
  return 0;
}
