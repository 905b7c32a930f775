#pragma once
// Loading public syscall-trace datasets for offline evaluation: ADFA-LD (one trace per file,
// space-separated syscall numbers) and UNM (lines "PID syscall", one trace per PID).
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace da {

struct Trace {
  std::string name;  // file name, or file:pid
  std::vector<int32_t> calls;
};

enum class DatasetFormat { kAdfa, kUnm };

// Every regular file below `dir` (recursively, sorted by path). Errors name the bad file.
Result<std::vector<Trace>> load_traces(const std::string& dir, DatasetFormat format);

}  // namespace da
