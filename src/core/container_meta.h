#pragma once
// What a detector needs to know about a container besides its events: which image it runs (the
// profile it is judged against) and a name an admin recognises. The agent knows it from Docker;
// it travels with the event batches so a detector on another host needs no Docker access.
#include <map>
#include <string>

namespace da {

struct ContainerMeta {
  std::string name;      // without the leading '/'
  std::string image;     // repo:tag as the container was run
  std::string image_id;  // sha256:...
  // The orchestration labels an admin finds a container by (is_reported_label); others are
  // not carried: labels can be many and large, and most say nothing about where to look.
  std::map<std::string, std::string> labels;
};

// Compose project and service, Kubernetes pod, namespace and container, Swarm service and stack.
inline bool is_reported_label(const std::string& key) {
  static const char* const keys[] = {
      "com.docker.compose.project",  "com.docker.compose.service",   "io.kubernetes.pod.name",
      "io.kubernetes.pod.namespace", "io.kubernetes.container.name", "com.docker.swarm.service.name",
      "com.docker.stack.namespace"};
  for (const char* k : keys)
    if (key == k) return true;
  return false;
}
constexpr size_t kMaxLabelValueBytes = 253;  // a DNS name; Kubernetes names are shorter

using ContainerDirectory = std::map<std::string, ContainerMeta>;  // by full container id

// "registry:5000/shop/web:1.2" -> "registry:5000/shop/web" (a colon before the last '/' is a
// registry port, not a tag).
inline std::string image_repository(const std::string& image) {
  const auto colon = image.rfind(':'), slash = image.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return image;
  return image.substr(0, colon);
}

// "registry:5000/shop/web:1.2" -> "1.2"; an image without a tag is "latest".
inline std::string image_tag(const std::string& image) {
  const std::string repository = image_repository(image);
  return repository.size() < image.size() ? image.substr(repository.size() + 1) : "latest";
}

}  // namespace da
