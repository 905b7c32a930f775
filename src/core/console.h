#pragma once
// Everything the user reads on stdout goes through here, one whole line at a time, so status
// lines and --print-syscalls JSON lines from different threads never interleave.
#include <mutex>
#include <string>

namespace da {

class Console {
 public:
  void line(const std::string& text);
  void error(const std::string& text);  // stderr

 private:
  std::mutex mutex_;
};

}  // namespace da
