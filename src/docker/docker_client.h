#pragma once
// The Docker Engine API over its unix socket (or tcp), with libcurl.
#include <atomic>
#include <functional>
#include <string>

#include "docker/docker_api.h"

namespace da {

class DockerClient {
 public:
  explicit DockerClient(DockerEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

  // Checks the daemon answers; the error says what failed and what to do.
  Status ping();
  Result<std::vector<std::string>> running_containers();
  Result<ContainerInfo> inspect(const std::string& id);
  // Streams /events from `since_unix_seconds` on (so nothing between a scan and the stream is
  // missed), calling on_line for each JSON line, until the daemon closes the stream, an error
  // occurs, or `stop` becomes true (checked at least once a second).
  Status stream_events(double since_unix_seconds,
                       const std::function<void(std::string_view)>& on_line,
                       const std::atomic<bool>& stop);
  const DockerEndpoint& endpoint() const { return endpoint_; }

 private:
  Result<std::string> get(const std::string& path);
  std::string unreachable(const std::string& why) const;
  DockerEndpoint endpoint_;
};

}  // namespace da
