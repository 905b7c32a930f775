#include "detect/awaiting_attribution.h"

namespace da {

void AwaitingAttribution::hold(const SyscallEvent& event, const std::string& host,
                               Clock::time_point now) {
  Held& h = held_[event.container_id];
  if (h.events.empty()) h.since = now, h.host = host;
  if (h.events.size() < max_events_)
    h.events.push_back(event);
  else
    ++never_identified_;
}

std::vector<SyscallEvent> AwaitingAttribution::release(const std::string& container_id) {
  auto it = held_.find(container_id);
  if (it == held_.end()) return {};
  std::vector<SyscallEvent> events = std::move(it->second.events);
  held_.erase(it);
  return events;
}

std::vector<AwaitingAttribution::GivenUp> AwaitingAttribution::expire(Clock::time_point now) {
  std::vector<GivenUp> given_up;
  for (auto it = held_.begin(); it != held_.end();) {
    if (now - it->second.since < max_wait_) {
      ++it;
      continue;
    }
    given_up.push_back({it->first, it->second.events.size()});
    never_identified_ += it->second.events.size();
    it = held_.erase(it);
  }
  return given_up;
}

void AwaitingAttribution::give_up_all() {
  for (const auto& [id, h] : held_) never_identified_ += h.events.size();
  held_.clear();
}

}  // namespace da
