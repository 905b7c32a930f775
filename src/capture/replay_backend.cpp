#include "capture/replay_backend.h"

#include <fstream>

#include "syscalls/event_json.h"

namespace da {

Result<std::vector<SyscallEvent>> ReplayBackend::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read the recording " + path};
  std::vector<SyscallEvent> events;
  size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) return Error{path + ":" + std::to_string(number) + ": not JSON"};
    auto e = event_from_json(j);
    if (!e) return Error{path + ":" + std::to_string(number) + ": " + e.error().message};
    events.push_back(std::move(*e));
  }
  return events;
}

Status ReplayBackend::start() {
  thread_ = std::thread([this] { replay(); });
  return ok_status();
}

void ReplayBackend::replay() {
  // In bursts, as the eBPF backend hands over what one ring-buffer poll returned.
  constexpr size_t kBurst = 64;
  for (size_t i = 0; i < events_.size() && !stop_; i += kBurst) {
    const size_t end = std::min(events_.size(), i + kBurst);
    std::vector<SyscallEvent> burst(std::make_move_iterator(events_.begin() + static_cast<long>(i)),
                                    std::make_move_iterator(events_.begin() + static_cast<long>(end)));
    channel_.push_all(std::move(burst));
    replayed_ += end - i;
  }
  std::lock_guard lock(mutex_);
  done_ = true;
  done_cv_.notify_all();
}

void ReplayBackend::wait_replayed() {
  std::unique_lock lock(mutex_);
  done_cv_.wait(lock, [&] { return done_; });
}

void ReplayBackend::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace da
