#pragma once
// What docker-anomalies reads from the Docker Engine API, as plain structs, and the parsers
// from its JSON. Parsing is separate from HTTP so tests feed it recorded responses.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace da {

struct DockerEndpoint {
  std::string unix_socket;  // set for unix://
  std::string base_url;     // "http://localhost" for unix sockets, "http://host:port" for tcp://
  std::string display;      // as the user wrote it, for messages
};

// DOCKER_HOST forms: unix:///path, tcp://host:port (also http://). Empty: the default socket.
Result<DockerEndpoint> parse_docker_host(std::string_view docker_host);

struct ContainerInfo {
  std::string id;
  std::string name;      // without the leading '/'
  std::string image;     // repo:tag as the user ran it (Config.Image)
  std::string image_id;  // sha256:...
  int pid = 0;           // State.Pid, 0 if not running
  bool running = false;
  bool paused = false;
  std::map<std::string, std::string> labels;  // the reported ones (core/container_meta.h)
};

enum class DockerEventKind { kStart, kExecStart, kDie, kPause, kUnpause, kDestroy, kOther };

struct DockerEvent {
  DockerEventKind kind = DockerEventKind::kOther;
  std::string action;  // raw Action, e.g. "exec_start: sh -c id"
  std::string container_id;
  std::string name;
  std::string image;
  uint64_t time_ns = 0;
};

// One line of the /events stream; nullopt for events that are not about containers.
Result<std::optional<DockerEvent>> parse_docker_event(std::string_view json_line);
Result<ContainerInfo> parse_container_inspect(std::string_view json);
Result<std::vector<std::string>> parse_container_list(std::string_view json);

std::string short_id(const std::string& id);

}  // namespace da
