#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace da {

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path temp = path.string() + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error{"cannot write " + temp.string() + ": " + std::strerror(errno)};
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      return Error{"cannot write " + temp.string() + ": " + why};
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    ::unlink(temp.c_str());
    return Error{"cannot sync " + temp.string() + ": " + why};
  }
  if (::close(fd) != 0) {  // a network file system may report a failed write only here
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    return Error{"cannot write " + temp.string() + ": " + why};
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    ::unlink(temp.c_str());  // no stale half-way file left beside the real one
    return Error{"cannot replace " + path.string() + ": " + ec.message()};
  }
  return ok_status();
}

}  // namespace da
