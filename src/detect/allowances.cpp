#include "detect/allowances.h"

#include <sstream>
#include <vector>

#include "detect/path_normalizer.h"
#include "syscalls/syscall_table.h"

namespace da {
namespace {

// An allowed sequence counts as if seen this often: enough that its calls are no longer
// surprising to the model.
constexpr uint32_t kAllowedSequenceCount = 100;

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t");
  const auto last = s.find_last_not_of(" \t");
  return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

Result<std::string> allow_program(ImageProfile& p, const std::string& value) {
  std::string path = value, name;
  if (auto eq = value.find('='); eq != std::string::npos) {
    path = value.substr(0, eq);
    name = value.substr(eq + 1);
  }
  if (path.empty() || path[0] != '/') return Error{"a program is an absolute executable path: '" + value + "'"};
  if (name.empty()) name = path.substr(path.find_last_of('/') + 1);
  p.execs.insert(normalize_path(path));
  ProgramProfile& program = p.programs[{path, name}];
  program.exe = path;
  program.comm = name;
  return "program " + name + " (" + path + ")";
}

Result<std::string> allow_file(ImageProfile& p, const std::string& value) {
  const auto space = value.find(' ');
  const std::string mode = value.substr(0, space);
  if (space == std::string::npos || (mode != "r" && mode != "w" && mode != "rw"))
    return Error{"a file is \"MODE PATH\" with MODE r, w or rw: '" + value + "'"};
  const std::string path = trim(value.substr(space + 1));
  if (path.empty() || path[0] != '/') return Error{"a file path must be absolute: '" + value + "'"};
  const bool pattern = path.size() >= 2 && path.compare(path.size() - 2, 2, "/*") == 0;
  const std::string key = mode + " " + (pattern ? normalize_path(path.substr(0, path.size() - 2)) + "/*" : normalize_path(path));
  p.files.insert(key);
  return "file " + key;
}

Result<std::string> allow_peer(ImageProfile& p, const std::string& value) {
  const auto space = value.find(' ');
  const std::string verb = value.substr(0, space);
  if (space == std::string::npos || (verb != "connect" && verb != "bind" && verb != "sendto" && verb != "accept"))
    return Error{"a peer is \"VERB ADDRESS\" with VERB connect, bind, sendto or accept: '" + value + "'"};
  const std::string key = verb + " " + trim(value.substr(space + 1));
  p.peers.insert(key);
  return "peer " + key;
}

Result<std::string> allow_sequence(ImageProfile& p, const std::string& value) {
  const auto colon = value.find(':');
  if (colon == std::string::npos) return Error{"a sequence is \"PROGRAM: call call ...\": '" + value + "'"};
  const std::string name = trim(value.substr(0, colon));
  std::istringstream words(value.substr(colon + 1));
  std::vector<int32_t> calls;
  for (std::string call; words >> call;) {
    auto nr = syscall_number(call);
    if (!nr) return Error{"unknown system call '" + call + "'"};
    calls.push_back(*nr);
  }
  if (calls.empty() || calls.size() > static_cast<size_t>(kProfileOrder))
    return Error{"a sequence has 1 to " + std::to_string(kProfileOrder) + " calls"};
  // Right-aligned in the n-gram; missing context is the start-of-trace marker.
  NgramKey key;
  key.calls.fill(static_cast<int16_t>(NgramModel::kStart));
  const size_t offset = kProfileOrder - calls.size();
  for (size_t i = 0; i < calls.size(); ++i) key.calls[offset + i] = static_cast<int16_t>(calls[i]);
  int programs = 0;
  for (auto& [k, program] : p.programs)
    if (program.comm == name) {
      program.ngrams[key] += kAllowedSequenceCount;
      ++programs;
    }
  if (programs == 0) return Error{"the profile has no program named '" + name + "'"};
  return "sequence of " + name + ":" + value.substr(colon + 1);
}

}  // namespace

Result<std::string> apply_allowance(ImageProfile& profile, const std::string& allowance) {
  const auto space = allowance.find(' ');
  const std::string kind = allowance.substr(0, space);
  const std::string value = space == std::string::npos ? std::string() : trim(allowance.substr(space + 1));
  if (kind == "program") return allow_program(profile, value);
  if (kind == "file") return allow_file(profile, value);
  if (kind == "peer") return allow_peer(profile, value);
  if (kind == "sequence") return allow_sequence(profile, value);
  return Error{"unknown allowance '" + kind + "' (program, file, peer or sequence)"};
}

}  // namespace da
