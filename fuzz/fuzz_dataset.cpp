// `eval` datasets (ADFA-LD, UNM) downloaded from anywhere: both loaders on any file content.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "eval/trace_dataset.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto dir = da::fuzz::scratch_dir() / "dataset";
  std::filesystem::create_directories(dir);
  da::fuzz::write_scratch("dataset/trace.txt", {reinterpret_cast<const char*>(data), size});
  (void)da::load_traces(dir.string(), da::DatasetFormat::kAdfa);
  (void)da::load_traces(dir.string(), da::DatasetFormat::kUnm);
  return 0;
}
