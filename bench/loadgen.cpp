// da_loadgen: many agents' worth of events into Redis, for the scale measurements and the
// partitioned-detection e2e tests (issue 13). Each simulated agent is a thread with its own
// Redis connection, publishing as `agent --redis` does (msgpack batches, sharded by image).
//
// The workload is synthetic and deterministic: every agent runs one container of each image;
// each container's two threads cycle openat/read/close/write over eight files (never the same
// call twice in a row, so a learned profile counts exactly one call per event — the e2e tests
// check "nothing lost, nothing twice" on that count). --novel adds, at the end, files no
// profile has seen; --novel-every spreads such files through the run (alert latency).
// --recording replays a recording (`run --print-syscalls` JSON lines) instead: every container
// of every agent runs it, with threads of its own.
#include <sys/syscall.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "syscalls/event_json.h"
#include "transport/redis_stream.h"
#include "transport/redis_url.h"

#include <fstream>
#include <nlohmann/json.hpp>

namespace {

using namespace da;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string redis_url, stream = kDefaultStream, recording;
  uint32_t shards = 1;
  int agents = 1, images = 2;
  uint64_t events = 10000;  // per container (synthetic), or passes over the recording
  double rate = 0;          // events/s over all agents; 0: as fast as Redis takes them
  int novel = 0;            // novel files per container at the end
  uint64_t novel_every = 0; // also, one novel file in one container every this many events
  size_t batch = 256;
  long long max_length = 1000000;
};

std::string hex64(uint64_t a, uint64_t b) {
  char out[65];
  std::snprintf(out, sizeof out, "%016llx%016llx%016llx%016llx", (unsigned long long)a,
                (unsigned long long)b, 0xda10ad0000000000ULL, (unsigned long long)(a * 31 + b));
  return out;
}

struct Container {
  std::string id;
  ContainerMeta meta;
  int32_t pid;
};

// Events carry the time they are sent, so a detector's alerts show end-to-end latency.
uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

SyscallEvent call(const Container& c, int32_t tid, int nr, std::vector<ArgValue> args, int64_t ret) {
  SyscallEvent e;
  e.timestamp_ns = now_ns();
  e.container_id = c.id;
  e.pid = c.pid;
  e.tid = tid;
  e.ns_pid = 1;
  e.ppid = 1;
  e.uid = 0;
  e.comm = "worker";
  e.exe = "/usr/bin/worker";
  e.syscall_nr = nr;
  e.args = std::move(args);
  e.ret = ret;
  return e;
}

// The k-th call of a worker thread: openat, read, close, write, over eight files.
SyscallEvent workload_call(const Container& c, int thread, uint64_t k) {
  const int32_t tid = c.pid + thread;
  switch (k % 4) {
    case 0:
      return call(c, tid, SYS_openat,
                  {int64_t{-100}, std::string("/srv/app/data") + std::to_string(k / 4 % 8), int64_t{0}, uint64_t{0}}, 3);
    case 1: return call(c, tid, SYS_read, {int64_t{3}, uint64_t{0}, uint64_t{4096}}, 100);
    case 2: return call(c, tid, SYS_close, {int64_t{3}}, 0);
    default: return call(c, tid, SYS_write, {int64_t{1}, uint64_t{0}, uint64_t{10}}, 10);
  }
}

struct AgentResult {
  uint64_t events = 0, batches = 0, retries = 0;
  bool failed = false;
};

void run_agent(const Options& o, const RedisUrl& url, int agent, const std::vector<SyscallEvent>& recording,
               double rate, AgentResult& result) {
  auto publisher = RedisStreamPublisher::create(url, o.stream, o.max_length, o.shards);
  if (!publisher) {
    std::fprintf(stderr, "agent %d: %s\n", agent, publisher.error().message.c_str());
    result.failed = true;
    return;
  }
  std::vector<Container> containers;
  for (int i = 0; i < o.images; ++i) {
    Container c;
    c.id = hex64(agent + 1, i + 1);
    c.meta.name = "loadgen-" + std::to_string(agent) + "-" + std::to_string(i);
    c.meta.image = "loadgen/app" + std::to_string(i) + ":1";
    c.meta.image_id = "sha256:" + hex64(0, i + 1);
    c.pid = 100000 + agent * 1000 + i * 10;
    containers.push_back(std::move(c));
  }
  uint64_t sequence = 0;
  const auto start = Clock::now();
  EventBatch batch;
  auto flush = [&]() -> bool {
    if (batch.events.empty()) return true;
    batch.host = "loadgen-host-" + std::to_string(agent);
    batch.agent_id = "loadgen-" + std::to_string(agent);
    batch.sequence = ++sequence;
    const size_t n = batch.events.size();
    // As the agent does: an outage is retried for 30 s before the batch counts as lost.
    const auto give_up = Clock::now() + std::chrono::seconds(30);
    while (true) {
      if (auto s = (*publisher)->publish(batch); s) break;
      ++result.retries;
      if (Clock::now() > give_up) {
        result.failed = true;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    result.events += n;
    ++result.batches;
    batch = EventBatch{};
    if (rate > 0) {  // paced: the n-th event leaves at n / rate
      const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(result.events / rate));
      std::this_thread::sleep_until(due);
    }
    return true;
  };
  auto add = [&](SyscallEvent e, const Container& c) -> bool {
    batch.containers[c.id] = c.meta;
    batch.events.push_back(std::move(e));
    return batch.events.size() < o.batch || flush();
  };
  // A file no profile has seen, opened by a process of its own (an alert each: a process's
  // lesser novelties are folded into its first alert).
  uint64_t sent = 0, novel_sent = 0;
  auto maybe_novel = [&]() -> bool {
    if (!o.novel_every || ++sent % o.novel_every) return true;
    const Container& c = containers[novel_sent % containers.size()];
    SyscallEvent e = call(c, c.pid + 5 + static_cast<int32_t>(novel_sent % 4), SYS_openat,
                          {int64_t{-100}, "/srv/secret" + std::to_string(novel_sent) + "/key", int64_t{0}, uint64_t{0}}, 3);
    e.pid = e.tid = c.pid + 1000000 + static_cast<int32_t>(novel_sent);
    ++novel_sent;
    return add(std::move(e), c);
  };
  if (!recording.empty()) {
    // Every container runs the recording, interleaved in runs of 32 calls as capture delivers
    // them, each with threads of its own.
    for (uint64_t pass = 0; pass < o.events; ++pass)
      for (size_t k = 0; k < recording.size(); k += 32)
        for (size_t i = 0; i < containers.size(); ++i) {
          const int32_t offset = static_cast<int32_t>((agent * containers.size() + i + 1) * 32768);
          for (size_t j = k; j < std::min(recording.size(), k + 32); ++j) {
            SyscallEvent e = recording[j];
            e.timestamp_ns = now_ns();
            e.container_id = containers[i].id;
            e.pid += offset;
            e.tid += offset;
            e.ppid += offset;
            if (!add(std::move(e), containers[i]) || !maybe_novel()) return;
          }
        }
  } else {
    // Interleaved in runs of 32 calls per container, as capture delivers them.
    for (uint64_t k = 0; k < o.events; k += 32)
      for (const auto& c : containers)
        for (uint64_t j = k; j < std::min(o.events, k + 32); ++j)
          if (!add(workload_call(c, static_cast<int>(j % 2), j / 2), c) || !maybe_novel()) return;
    for (int n = 0; n < o.novel; ++n)
      for (const auto& c : containers)
        if (!add(call(c, c.pid, SYS_openat,
                      {int64_t{-100}, "/srv/secret/key" + std::to_string(n), int64_t{0}, uint64_t{0}}, 3), c))
          return;
  }
  flush();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"da_loadgen: replays events as N agents into Redis (docs/scale.md)"};
  app.add_option("--redis", o.redis_url, "redis://host:port")->required();
  app.add_option("--stream", o.stream, "stream name")->default_val(o.stream);
  app.add_option("--shards", o.shards, "stream shards (as the detectors')")->default_val(o.shards);
  app.add_option("--agents", o.agents, "simulated agents (threads, one connection each)")->default_val(o.agents);
  app.add_option("--images", o.images, "images; each agent runs one container of each")->default_val(o.images);
  app.add_option("--events", o.events, "events per container (synthetic), or passes over --recording")->default_val(o.events);
  app.add_option("--rate", o.rate, "events/s over all agents (0: as fast as possible)")->default_val(o.rate);
  app.add_option("--novel", o.novel, "at the end, this many files per container no profile has seen")->default_val(o.novel);
  app.add_option("--novel-every", o.novel_every, "also one such file, in one container, every N events (alert latency)")
      ->default_val(o.novel_every);
  app.add_option("--batch-size", o.batch, "events per batch")->default_val(o.batch);
  app.add_option("--stream-maxlen", o.max_length, "entries kept per shard")->default_val(o.max_length);
  app.add_option("--recording", o.recording, "JSON lines of events to replay instead of the synthetic workload");
  CLI11_PARSE(app, argc, argv);

  auto url = parse_redis_url(o.redis_url);
  if (!url) {
    std::fprintf(stderr, "%s\n", url.error().message.c_str());
    return 2;
  }
  std::vector<SyscallEvent> recording;
  if (!o.recording.empty()) {
    std::ifstream in(o.recording);
    std::string line;
    for (size_t n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      auto e = j.is_discarded() ? Result<SyscallEvent>(Error{"not JSON"}) : event_from_json(j);
      if (!e) {
        std::fprintf(stderr, "%s:%zu: %s\n", o.recording.c_str(), n, e.error().message.c_str());
        return 2;
      }
      recording.push_back(std::move(*e));
    }
    if (recording.empty()) {
      std::fprintf(stderr, "%s holds no events\n", o.recording.c_str());
      return 2;
    }
  }
  std::vector<AgentResult> results(o.agents);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int a = 0; a < o.agents; ++a)
    threads.emplace_back(run_agent, std::cref(o), std::cref(*url), a, std::cref(recording),
                         o.rate / o.agents, std::ref(results[a]));
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t events = 0, batches = 0, retries = 0;
  bool failed = false;
  for (const auto& r : results) {
    events += r.events;
    batches += r.batches;
    retries += r.retries;
    failed |= r.failed;
  }
  std::printf("{\"events\": %llu, \"batches\": %llu, \"seconds\": %.3f, \"events_per_second\": %.0f, \"retries\": %llu}\n",
              (unsigned long long)events, (unsigned long long)batches, seconds, events / seconds,
              (unsigned long long)retries);
  return failed ? 1 : 0;
}
