#include "docker/docker_api.h"

#include "core/container_meta.h"

#include <nlohmann/json.hpp>

namespace da {
namespace {

using nlohmann::json;

std::string string_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

DockerEventKind kind_of(std::string_view action) {
  if (action == "start") return DockerEventKind::kStart;
  if (action == "die") return DockerEventKind::kDie;
  if (action == "pause") return DockerEventKind::kPause;
  if (action == "unpause") return DockerEventKind::kUnpause;
  if (action == "destroy") return DockerEventKind::kDestroy;
  // "exec_start: <command>" carries the command after the colon.
  if (action.substr(0, 10) == "exec_start") return DockerEventKind::kExecStart;
  return DockerEventKind::kOther;
}

}  // namespace

Result<DockerEndpoint> parse_docker_host(std::string_view host) {
  DockerEndpoint ep;
  if (host.empty()) host = "unix:///var/run/docker.sock";
  ep.display = host;
  if (host.substr(0, 7) == "unix://") {
    ep.unix_socket = host.substr(7);
    if (ep.unix_socket.empty() || ep.unix_socket[0] != '/')
      return Error{"invalid DOCKER_HOST '" + std::string(host) + "': expected unix:///absolute/path"};
    ep.base_url = "http://localhost";
    return ep;
  }
  for (std::string_view scheme : {"tcp://", "http://"}) {
    if (host.substr(0, scheme.size()) == scheme) {
      std::string_view rest = host.substr(scheme.size());
      while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
      if (rest.empty()) return Error{"invalid DOCKER_HOST '" + std::string(host) + "': no host"};
      ep.base_url = "http://" + std::string(rest);
      return ep;
    }
  }
  return Error{"unsupported DOCKER_HOST '" + std::string(host) +
               "': use unix:///path/to/docker.sock or tcp://host:port"};
}

Result<std::optional<DockerEvent>> parse_docker_event(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Error{"Docker event is not a JSON object"};
  if (string_at(j, "Type") != "container") return std::optional<DockerEvent>{};
  DockerEvent e;
  e.action = string_at(j, "Action");
  if (e.action.empty()) e.action = string_at(j, "status");  // pre-1.22 field
  e.kind = kind_of(e.action);
  auto actor = j.find("Actor");
  if (actor != j.end() && actor->is_object()) {
    e.container_id = string_at(*actor, "ID");
    auto attrs = actor->find("Attributes");
    if (attrs != actor->end() && attrs->is_object()) {
      e.name = string_at(*attrs, "name");
      e.image = string_at(*attrs, "image");
    }
  }
  if (e.container_id.empty()) e.container_id = string_at(j, "id");
  if (auto t = j.find("timeNano"); t != j.end() && t->is_number_unsigned())
    e.time_ns = t->get<uint64_t>();
  if (e.container_id.empty()) return Error{"Docker container event without an id"};
  return std::optional<DockerEvent>(std::move(e));
}

Result<ContainerInfo> parse_container_inspect(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error{"container inspect is not a JSON object"};
  ContainerInfo c;
  c.id = string_at(j, "Id");
  c.name = string_at(j, "Name");
  if (!c.name.empty() && c.name[0] == '/') c.name.erase(0, 1);
  c.image_id = string_at(j, "Image");
  if (auto cfg = j.find("Config"); cfg != j.end() && cfg->is_object()) {
    c.image = string_at(*cfg, "Image");
    if (auto labels = cfg->find("Labels"); labels != cfg->end() && labels->is_object()) {
      for (const auto& [key, value] : labels->items())
        if (is_reported_label(key) && value.is_string())
          c.labels[key] = value.get<std::string>().substr(0, kMaxLabelValueBytes);
    }
  }
  if (auto st = j.find("State"); st != j.end() && st->is_object()) {
    if (auto p = st->find("Pid"); p != st->end() && p->is_number_integer()) c.pid = p->get<int>();
    if (auto r = st->find("Running"); r != st->end() && r->is_boolean()) c.running = r->get<bool>();
    if (auto r = st->find("Paused"); r != st->end() && r->is_boolean()) c.paused = r->get<bool>();
  }
  if (c.id.empty()) return Error{"container inspect has no Id"};
  return c;
}

Result<std::vector<std::string>> parse_container_list(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return Error{"container list is not a JSON array"};
  std::vector<std::string> ids;
  for (const auto& c : j)
    if (c.is_object() && !string_at(c, "Id").empty()) ids.push_back(string_at(c, "Id"));
  return ids;
}

std::string short_id(const std::string& id) { return id.substr(0, 12); }

}  // namespace da
