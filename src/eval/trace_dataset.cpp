#include "eval/trace_dataset.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace da {
namespace {

namespace fs = std::filesystem;

bool parse_int(std::string_view token, int32_t& out) {
  auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), out);
  return ec == std::errc() && p == token.data() + token.size();
}

Result<std::vector<Trace>> parse_file(const fs::path& path, DatasetFormat format) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read " + path.string()};
  std::vector<Trace> out;
  if (format == DatasetFormat::kAdfa) {
    Trace t{path.filename().string(), {}};
    std::string token;
    while (in >> token) {
      int32_t v;
      if (!parse_int(token, v))
        return Error{path.string() + ": '" + token + "' is not a syscall number (ADFA-LD format)"};
      t.calls.push_back(v);
    }
    out.push_back(std::move(t));
    return out;
  }
  // UNM: interleaved "pid call" lines; a trace is one pid's calls in order.
  std::map<int32_t, Trace> by_pid;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream ls(line);
    std::string a, b;
    if (!(ls >> a)) continue;  // blank line
    int32_t pid, call;
    if (!(ls >> b) || !parse_int(a, pid) || !parse_int(b, call))
      return Error{path.string() + ":" + std::to_string(line_no) +
                   ": expected 'PID syscall' (UNM format)"};
    Trace& t = by_pid[pid];
    if (t.name.empty()) t.name = path.filename().string() + ":" + std::to_string(pid);
    t.calls.push_back(call);
  }
  for (auto& [pid, t] : by_pid) out.push_back(std::move(t));
  return out;
}

}  // namespace

Result<std::vector<Trace>> load_traces(const std::string& dir, DatasetFormat format) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error{"not a directory: " + dir};
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->is_regular_file()) files.push_back(it->path());
  if (ec) return Error{"cannot list " + dir + ": " + ec.message()};
  std::sort(files.begin(), files.end());
  std::vector<Trace> traces;
  for (const auto& f : files) {
    auto parsed = parse_file(f, format);
    if (!parsed) return parsed.error();
    for (auto& t : *parsed)
      if (!t.calls.empty()) traces.push_back(std::move(t));
  }
  if (traces.empty()) return Error{"no traces found in " + dir};
  return traces;
}

}  // namespace da
