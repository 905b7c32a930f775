#include "alert/syslog_sink.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "alert/alert_format.h"

namespace da {
namespace {

int facility_code(const std::string& name) {
  static const std::map<std::string, int> kFacilities{
      {"kern", 0},    {"user", 1},    {"mail", 2},    {"daemon", 3},  {"auth", 4},
      {"syslog", 5},  {"authpriv", 10}, {"local0", 16}, {"local1", 17}, {"local2", 18},
      {"local3", 19}, {"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23}};
  auto it = kFacilities.find(name);
  return it == kFacilities.end() ? -1 : it->second;
}

int syslog_severity(Severity s) { return s == Severity::kHigh ? 2 : s == Severity::kMedium ? 4 : 5; }

}  // namespace

std::string syslog_message(const Anomaly& a, int facility, int pid) {
  std::string cmdline;
  for (const auto& arg : a.process.cmdline) cmdline += (cmdline.empty() ? "" : " ") + arg;
  std::string m = "<" + std::to_string(facility * 8 + syslog_severity(a.severity)) + ">1 " +
                  rfc3339(a.time_ns) + " " + (a.host.empty() ? "-" : a.host) +
                  " docker-anomalies " + std::to_string(pid) + " ALERT - ";
  m += alert_title(a) + ": " + a.explanation;
  m += " kind=" + std::string(kind_name(a.kind)) + " severity=" + severity_name(a.severity) +
       " container=" + a.container_name + " container_id=" + a.container_id.substr(0, 12) +
       " image=" + a.image + " pid=" + std::to_string(a.process.pid) + " comm=" + a.process.comm +
       " exe=" + a.process.exe + " count=" + std::to_string(a.count);
  if (!cmdline.empty()) m += " cmdline=\"" + cmdline + "\"";
  for (char& c : m)
    if (c == '\n' || c == '\r') c = ' ';
  return m;
}

Result<std::unique_ptr<SyslogSink>> SyslogSink::create(const SyslogSettings& s) {
  const int facility = facility_code(s.facility);
  if (facility < 0) return Error{"unknown syslog facility '" + s.facility + "' (daemon, local0..local7, ...)"};
  int fd = -1;
  if (s.target.rfind("unix://", 0) == 0) {
    const std::string path = s.target.substr(7);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) return Error{"bad syslog socket path in " + s.target};
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      const std::string why = std::strerror(errno);
      if (fd >= 0) close(fd);
      return Error{"cannot reach syslog at " + s.target + ": " + why};
    }
  } else if (s.target.rfind("udp://", 0) == 0) {
    const std::string hostport = s.target.substr(6);
    const auto colon = hostport.rfind(':');
    const std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
    const std::string port = colon == std::string::npos ? "514" : hostport.substr(colon + 1);
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0)
      return Error{"cannot resolve syslog host in " + s.target + ": " + gai_strerror(rc)};
    fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const bool ok = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
    freeaddrinfo(res);
    if (!ok) {
      const std::string why = std::strerror(errno);
      if (fd >= 0) close(fd);
      return Error{"cannot open a socket to " + s.target + ": " + why};
    }
  } else {
    return Error{"the syslog target must be unix:///path or udp://host:port (got '" + s.target + "')"};
  }
  return std::unique_ptr<SyslogSink>(new SyslogSink(s.target, facility, fd));
}

SyslogSink::~SyslogSink() { close(fd_); }

Status SyslogSink::deliver(const Anomaly& a) {
  const std::string m = syslog_message(a, facility_, getpid());
  if (send(fd_, m.data(), m.size(), MSG_NOSIGNAL) < 0)
    return Error{"syslog " + target_ + ": " + std::strerror(errno)};
  return ok_status();
}

}  // namespace da
