#include "core/secret_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace da {

Result<std::string> read_secret_line(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read the " + what + " file " + path + ": " + std::strerror(errno)};
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return Error{"the " + what + " file " + path + " is empty"};
  return line;
}

}  // namespace da
