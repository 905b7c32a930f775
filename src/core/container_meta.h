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
};

using ContainerDirectory = std::map<std::string, ContainerMeta>;  // by full container id

}  // namespace da
