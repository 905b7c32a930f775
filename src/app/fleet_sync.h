#pragma once
// Edge mode on a host (`run --fleet URL`): the engine detects here, and only learning crosses
// the network. On the detection thread, every `interval`: an image the fleet has a stable
// profile for takes that profile over — every host of the image then judges by the same
// profile — and each learning profile that changed goes to the fleet (transport/fleet_link.h).
#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "core/console.h"
#include "detect/detector.h"
#include "transport/fleet_link.h"

namespace da {

class FleetSync {
 public:
  FleetSync(std::unique_ptr<FleetLink> link, std::string node, std::chrono::seconds interval, Console& console)
      : link_(std::move(link)), node_(std::move(node)), interval_(interval), console_(console) {}
  void tick(Detector& detector);

 private:
  Status sync(Detector& detector);

  std::unique_ptr<FleetLink> link_;
  std::string node_;
  std::chrono::seconds interval_;
  Console& console_;
  std::chrono::steady_clock::time_point next_{};
  bool failing_ = false;
  std::set<std::string> adopted_;  // images judged by the fleet's profile (or refused once)
};

}  // namespace da
