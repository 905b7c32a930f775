#include "capture/proc_scan.h"

#include <elf.h>

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace da {
namespace {

std::vector<pid_t> numeric_entries(const std::string& dir) {
  std::vector<pid_t> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && v > 0) out.push_back(static_cast<pid_t>(v));
  }
  closedir(d);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

bool process_in_container(pid_t pid, const std::string& container_id) {
  // cgroupfs driver: /docker/<id>; systemd driver: /system.slice/docker-<id>.scope; v1 and v2.
  return !container_id.empty() &&
         slurp("/proc/" + std::to_string(pid) + "/cgroup").find(container_id) != std::string::npos;
}

std::optional<std::string> container_id_of(pid_t pid) {
  const std::string cgroups = slurp("/proc/" + std::to_string(pid) + "/cgroup");
  // ".../docker/<id>" (cgroupfs) or ".../docker-<id>.scope" (systemd), any hierarchy.
  for (const char* marker : {"docker/", "docker-"}) {
    for (size_t at = cgroups.find(marker); at != std::string::npos; at = cgroups.find(marker, at + 1)) {
      const size_t start = at + std::strlen(marker);
      if (start + 64 > cgroups.size()) break;
      const std::string id = cgroups.substr(start, 64);
      if (std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
        return id;
    }
  }
  return std::nullopt;
}

std::vector<pid_t> pids_in_container(const std::string& container_id) {
  std::vector<pid_t> out;
  for (pid_t pid : numeric_entries("/proc"))
    if (process_in_container(pid, container_id)) out.push_back(pid);
  return out;
}

std::vector<pid_t> threads_of(pid_t pid) {
  return numeric_entries("/proc/" + std::to_string(pid) + "/task");
}

std::optional<ProcStatus> read_proc_status(pid_t tid) {
  std::ifstream f("/proc/" + std::to_string(tid) + "/status");
  if (!f) return std::nullopt;
  ProcStatus s;
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("Tgid:", 0) == 0) s.tgid = std::atoi(line.c_str() + 5);
    else if (line.rfind("PPid:", 0) == 0) s.ppid = std::atoi(line.c_str() + 5);
    else if (line.rfind("Uid:", 0) == 0) s.uid = std::atoi(line.c_str() + 4);
    else if (line.rfind("TracerPid:", 0) == 0) s.tracer_pid = std::atoi(line.c_str() + 10);
    else if (line.rfind("NSpid:", 0) == 0) {
      auto last = line.find_last_of(" \t");
      s.ns_pid = std::atoi(line.c_str() + last + 1);
      std::istringstream fields(line.substr(6));
      int entries = 0;
      for (std::string f; fields >> f;) ++entries;
      s.ns_level = std::max(0, entries - 1);
    }
  }
  if (s.tgid == 0) return std::nullopt;
  return s;
}

std::string read_comm(pid_t tid) {
  std::string comm = slurp("/proc/" + std::to_string(tid) + "/comm");
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

std::string read_exe(pid_t pid) {
  char buf[4096];
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

uint64_t read_execfn_address(pid_t pid) {
  const std::string auxv = slurp("/proc/" + std::to_string(pid) + "/auxv");
  // Pairs of (type, value), native words, ending with AT_NULL.
  for (size_t at = 0; at + 2 * sizeof(uint64_t) <= auxv.size(); at += 2 * sizeof(uint64_t)) {
    uint64_t type = 0, value = 0;
    std::memcpy(&type, auxv.data() + at, sizeof type);
    std::memcpy(&value, auxv.data() + at + sizeof type, sizeof value);
    if (type == AT_EXECFN) return value;
    if (type == AT_NULL) break;
  }
  return 0;
}

std::vector<std::string> read_cmdline(pid_t pid) {
  std::string raw = slurp("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> out;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    out.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace da
