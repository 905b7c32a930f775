// What the Docker Engine API answers (events, inspect, list) and DOCKER_HOST: a compromised or
// odd daemon, or a proxy in between, must not crash the agent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "docker/docker_api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)da::parse_docker_event(text);
  (void)da::parse_container_inspect(text);
  (void)da::parse_container_list(text);
  (void)da::parse_docker_host(text);
  return 0;
}
