#include "app/fleet_sync.h"

namespace da {

void FleetSync::tick(Detector& detector) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_) return;
  // A Redis that is away is tried again a minute later, not every tick: each try can wait
  // for a connection timeout on the detection thread.
  auto s = sync(detector);
  next_ = now + (s ? interval_ : std::max<std::chrono::seconds>(interval_, std::chrono::seconds(60)));
  if (!s) {
    if (!failing_) console_.warn("fleet: " + s.error().message + "; learning goes on here, trying again in a minute");
    failing_ = true;
  } else if (failing_) {
    console_.info("fleet: reachable again");
    failing_ = false;
  }
}

// Adopting first: an image the fleet has made stable is not sent again (its learning was
// deleted from Redis when the stable profile was published). A host that became stable on its
// own first (it converged before the slowest host did) switches to the fleet's profile too:
// one profile per image across the fleet.
Status FleetSync::sync(Detector& detector) {
  for (const auto& summary : detector.summaries()) {
    if (adopted_.count(summary.image_id)) continue;
    auto stable = link_->stable(summary.image_id);
    if (!stable) return stable.error();
    if (!*stable) continue;
    auto profile = decode_profile(**stable);
    if (!profile || profile->image_id != summary.image_id || profile->state != ProfileState::kStable) {
      console_.error("fleet: the fleet's profile of " + summary.image + " is unusable (" +
                     (profile ? std::string("not a stable profile of this image") : profile.error().message) +
                     "); keeping this host's own");
      adopted_.insert(summary.image_id);  // said once, not every sync
      continue;
    }
    detector.adopt(std::move(profile.value()), true);
    adopted_.insert(summary.image_id);
    console_.info("profile of " + summary.image + " is stable: the fleet's profile, learned on every host running it");
  }
  for (const ImageProfile* p : detector.take_changed([](const std::string&) { return true; }, false)) {
    if (p->state != ProfileState::kLearning) continue;
    if (auto s = link_->contribute(p->image_id, node_, encode_profile(*p)); !s) return s;
  }
  return ok_status();
}

}  // namespace da
