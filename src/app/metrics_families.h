#pragma once
// What /metrics exports (docs/operations.md lists every family), built from counters the
// pipeline keeps anyway.
#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <vector>

#include "app/detection_pipeline.h"
#include "transport/redis_shard_source.h"

namespace da {

struct CaptureCounters {
  std::string backend;    // ebpf, ptrace
  std::string transport;  // in-process, redis
  uint64_t captured = 0;
  uint64_t dropped_queue_full = 0;  // the channel had no room
  uint64_t lost_by_backend = 0;     // e.g. the kernel ring buffer had no room
  uint64_t judged_in_kernel = 0;    // captured and judged there, never sent (among captured)
  uint64_t batches_pending = 0;     // waiting in the channel for the shipper
  uint64_t batches_shipped = 0, events_shipped = 0, events_not_shipped = 0;
  uint64_t events_consumed = 0;     // read back and handled (run, trace)
  uint64_t containers = 0;          // monitored now
};

void append_capture_metrics(std::vector<prometheus::MetricFamily>& out, const CaptureCounters& c);
void append_detection_metrics(std::vector<prometheus::MetricFamily>& out, const DetectionMetrics& d);
// detect: the shards this detector holds and how they moved.
void append_shard_metrics(std::vector<prometheus::MetricFamily>& out, const ShardSourceStats& s);

}  // namespace da
