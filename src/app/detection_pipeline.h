#pragma once
// The detection side as `run` and `detect` share it:
//   events -> Detector -> AlertGate (noise control) -> AlertDispatcher -> sinks
// An EventHandler, so the consumer thread drives it.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>
#include <memory>

#include "alert/alert_dispatcher.h"
#include "alert/alert_gate.h"
#include "app/commands.h"
#include "app/fleet_sync.h"
#include "core/console.h"
#include "transport/event_consumer.h"
#include "transport/shard_state.h"
#include "detect/awaiting_attribution.h"
#include "detect/detector.h"
#include "detect/profile_store.h"

namespace da {

DetectorConfig detector_config(const DetectionOptions& options);

// What the detection side reports to /metrics; read from another thread.
struct DetectionMetrics {
  std::vector<ProfileSummary> profiles;  // as of the last refresh (about once a second)
  std::map<std::pair<std::string, std::string>, uint64_t> alerts;  // (kind, severity) -> alerts
  std::vector<SinkStats> sinks;
};

// Where profiles live: the state dir (run, a lone detector), or the stream's shards in Redis
// (detect: each detector holds some shards and their images' profiles, ShardStateKeeper).
enum class ProfileHome { kStateDir, kShards };

class DetectionPipeline final : public EventHandler, public ShardStateKeeper {
 public:
  static Result<std::unique_ptr<DetectionPipeline>> create(const DetectionOptions& options,
                                                           Console& console,
                                                           ProfileHome home = ProfileHome::kStateDir,
                                                           uint32_t shards = 1);
  void on_event(const SyscallEvent& event, const EventContext& context) override;
  void on_tick() override;
  void on_capture_loss(const std::string& host, const std::string& agent, uint64_t count) override;
  // Saves the profiles and delivers queued alerts; returns the summary lines.
  std::string finish();
  // After finish(): false if a profile's changes could not be written (the command exits 1).
  bool profiles_saved() const { return profiles_saved_; }
  DetectionMetrics metrics() const;
  // SIGHUP, from any thread: applied on the consumer thread at its next tick — the alert
  // outputs (rebuilt; queued alerts delivered by the old ones first), noise control, and the
  // threshold floor for profiles that become stable later.
  void request_reload(const DetectionOptions& options);
  // SIGUSR1, from any thread: alert files are reopened by name before their next write.
  void reopen_files();

  // In-kernel judging (eBPF, in-process): before the consumer thread starts.
  void judge_in_kernel(KernelJudge* judge) { detector_->judge_in_kernel(judge); }
  // Edge mode: learning shared with the fleet (app/fleet_sync.h), on this thread's ticks.
  void share_with_fleet(std::unique_ptr<FleetSync> sync) { fleet_ = std::move(sync); }
  // The fleet's dispatcher: an alert some host raised, through noise control to the outputs.
  void report(const Anomaly& anomaly) { gate_.offer(anomaly); }

  // ProfileHome::kShards: profiles come and go with their shard, and an alert waits until the
  // checkpoint that covers its event is saved — a detector killed before then never sent it,
  // and the next holder, handling the event again, does.
  void adopt_shard(uint32_t shard, ShardState saved) override;
  ShardState changed_state(uint32_t shard, bool everything) override;
  bool awaits_checkpoint(uint32_t shard) const override { return held_alerts_.count(shard) > 0; }
  void checkpoint_committed(uint32_t shard) override;
  void release_shard(uint32_t shard) override;

 private:
  DetectionPipeline(const DetectionOptions& options, Console& console);
  Status add_sinks(AlertDispatcher& dispatcher, const AlertSettings& alerts);
  void apply_reload(const DetectionOptions& options);
  std::shared_ptr<AlertDispatcher> dispatcher() const;

  Console& console_;
  ProfileStore store_;
  std::shared_ptr<AlertDispatcher> dispatcher_;  // replaced on reload (under metrics_mutex_)
  AlertGate gate_;
  std::unique_ptr<Detector> detector_;
  bool finished_ = false;
  bool profiles_saved_ = true;

  AwaitingAttribution awaiting_;

  // Counted as alerts leave for the dispatcher; profiles copied on the consumer thread.
  void count_alert(const Anomaly& a);
  mutable std::mutex metrics_mutex_;
  std::vector<ProfileSummary> profiles_snapshot_;
  std::map<std::pair<std::string, std::string>, uint64_t> alerts_by_kind_;
  std::chrono::steady_clock::time_point snapshot_at_;
  mutable std::atomic<bool> metrics_read_{false};
  std::optional<DetectionOptions> pending_reload_;  // under metrics_mutex_

  std::unique_ptr<FleetSync> fleet_;
  ProfileHome home_ = ProfileHome::kStateDir;
  uint32_t shards_ = 1;
  std::map<uint32_t, std::vector<Anomaly>> held_alerts_;  // by shard, until its checkpoint
  void deliver(const Anomaly& a);
};

}  // namespace da
