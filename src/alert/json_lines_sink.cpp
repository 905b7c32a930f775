#include "alert/json_lines_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "alert/alert_format.h"
#include "core/json_text.h"

namespace da {

Result<std::unique_ptr<JsonLinesSink>> JsonLinesSink::open(const std::string& path) {
  // A fresh install has no /var/log/docker-anomalies/ yet: make the directory, as a log would.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (std::error_code ec; !parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec)
      return Error{"cannot create the directory of the alert file " + path + ": " + ec.message(),
                   cause_of_errno(ec.value()), ec.value()};
    std::filesystem::permissions(parent, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                             std::filesystem::perms::group_exec, ec);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    const int err = errno;
    return Error{"cannot open the alert file " + path + ": " + std::strerror(err), cause_of_errno(err), err};
  }
  return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(path, fd));
}

JsonLinesSink::~JsonLinesSink() { ::close(fd_); }

Status JsonLinesSink::deliver(const Anomaly& anomaly) {
  if (reopen_.exchange(false)) {
    // logrotate moved the file away: continue in a new one under the configured name.
    auto fresh = open(path_);
    if (!fresh) return fresh.error();
    std::swap(fd_, (*fresh)->fd_);  // the old descriptor closes with `fresh`
  }
  // One write() per line with O_APPEND: lines from concurrent writers never interleave.
  const std::string line = json_text(falco_payload(anomaly)) + "\n";
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    return Error{"cannot append to " + path_ + ": " +
                 (n < 0 ? std::strerror(errno) : std::string("short write"))};
  return ok_status();
}

}  // namespace da
