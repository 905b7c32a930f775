// Detection throughput (issue 3 target: >= 20 M syscalls/s per core scored).
//   build/bench/scoring_bench [--benchmark_repetitions=5 --benchmark_report_aggregates_only=true]
// Uses the ADFA-LD subset when present (DA_DATASETS, else ../shared/datasets), synthetic traces
// otherwise. items_per_second is syscalls (or events) per second on one core.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/syscall.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "detect/detector.h"
#include "detect/ngram_model.h"
#include "detect/profile_merge.h"
#include "eval/trace_dataset.h"

namespace da {
namespace {

struct Corpus {
  std::vector<Trace> train, normal, attack;
  bool real = false;
};

// A synthetic program: a Markov chain over 40 calls with a few likely successors each.
std::vector<Trace> synthetic(int traces, int length, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Trace> out(traces);
  for (auto& t : out) {
    int32_t call = 0;
    for (int i = 0; i < length; ++i) {
      call = static_cast<int32_t>((call * 7 + 1 + rng() % 3) % 40);
      t.calls.push_back(call);
    }
  }
  return out;
}

const Corpus& corpus() {
  static Corpus c = [] {
    Corpus c;
    const char* env = std::getenv("DA_DATASETS");
    const std::string root = env ? env : std::string(DA_SOURCE_DIR) + "/../shared/datasets";
    const std::string adfa = root + "/adfa-ld";
    if (std::filesystem::exists(adfa + "/Training_Data_Master")) {
      auto train = load_traces(adfa + "/Training_Data_Master", DatasetFormat::kAdfa);
      auto normal = load_traces(adfa + "/Validation_Data_Master", DatasetFormat::kAdfa);
      auto attack = load_traces(adfa + "/Attack_Data_Master", DatasetFormat::kAdfa);
      if (train && normal && attack) {
        c.train = std::move(*train);
        c.normal = std::move(*normal);
        c.attack = std::move(*attack);
        c.real = true;
        return c;
      }
    }
    c.train = synthetic(800, 500, 1);
    c.normal = synthetic(2000, 500, 2);
    c.attack = synthetic(400, 500, 3);
    return c;
  }();
  return c;
}

const NgramModel& model(int order) {
  static std::map<int, std::unique_ptr<NgramModel>> models;
  auto& m = models[order];
  if (!m) {
    m = std::make_unique<NgramModel>(order);
    for (const auto& t : corpus().train) m->add_trace(t.calls);
    m->finalize();
  }
  return *m;
}

void score(benchmark::State& state, const std::vector<Trace>& traces) {
  const NgramModel& m = model(static_cast<int>(state.range(0)));
  state.SetLabel(corpus().real ? "ADFA-LD" : "synthetic");
  uint64_t calls = 0;
  for (auto _ : state) {
    double sum = 0;
    NgramModel::Stream stream(m);
    for (const auto& t : traces) {
      sum += stream.mean(t.calls);
      calls += t.calls.size();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(calls));
}

void BM_ScoreNormalTraces(benchmark::State& state) { score(state, corpus().normal); }
void BM_ScoreAttackTraces(benchmark::State& state) { score(state, corpus().attack); }
BENCHMARK(BM_ScoreNormalTraces)->Arg(6)->Arg(7)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScoreAttackTraces)->Arg(6)->Arg(7)->Unit(benchmark::kMillisecond);

// The whole live path per event: program and thread lookup, resource checks, window scoring.
void BM_DetectorObserveLearnedWorkload(benchmark::State& state) {
  int64_t now = 1'800'000'000;
  DetectorConfig config;
  config.learning = {10, 5};
  config.progress_interval_seconds = 1'000'000;
  Detector detector(config, nullptr, [](const Anomaly&) {}, [](const std::string&) {},
                    [&now] { return now; });
  const ContainerMeta meta{"bench", "bench:1", "sha256:bench"};
  auto event = [](int32_t tid, int32_t nr) {
    SyscallEvent e;
    e.container_id = std::string(64, 'b');
    e.pid = e.tid = tid;
    e.comm = "worker";
    e.exe = "/usr/bin/worker";
    e.syscall_nr = nr;
    if (nr == SYS_openat) e.args = {int64_t{-100}, std::string("/etc/app.conf"), int64_t{O_RDONLY}, uint64_t{0}};
    return e;
  };
  std::vector<SyscallEvent> workload;
  for (const auto& t : synthetic(8, 2000, 4)) {
    const int32_t tid = static_cast<int32_t>(workload.size() % 7 + 100);
    for (int32_t c : t.calls) workload.push_back(event(tid, c == 39 ? SYS_openat : c));
  }
  for (int s = 0; s < 12; ++s, ++now) {
    for (const auto& e : workload) detector.observe(e, "h", meta);
    detector.tick();
  }
  state.SetLabel(state_name(detector.profile(meta.image_id)->state));
  for (auto _ : state)
    for (const auto& e : workload) detector.observe(e, "h", meta);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * workload.size()));
}
BENCHMARK(BM_DetectorObserveLearnedWorkload)->Unit(benchmark::kMillisecond);

// A learning profile's calls as the kernel side hands them over: each event carries the 20
// calls held back before it (JudgedCalls), and the detector learns every one of them. Per call
// learned; the ADFA-LD training traces, one thread each (synthetic traces otherwise).
void BM_DetectorLearnHeldCalls(benchmark::State& state) {
  int64_t now = 1'800'000'000;
  DetectorConfig config;
  config.learning.min_seconds = 1'000'000;  // learning throughout
  config.progress_interval_seconds = 1'000'000;
  Detector detector(config, nullptr, [](const Anomaly&) {}, [](const std::string&) {},
                    [&now] { return now; });
  const ContainerMeta meta{"bench", "bench:1", "sha256:bench"};
  constexpr int kHeld = JudgedCalls::kRecent - 1;
  std::vector<SyscallEvent> workload;
  uint64_t calls = 0;
  int32_t tid = 100;
  for (const auto& t : corpus().train) {
    SyscallEvent e;
    e.container_id = std::string(64, 'b');
    e.pid = e.tid = ++tid;
    e.comm = "worker";
    e.exe = "/usr/bin/worker";
    e.thread_epoch = 1;
    e.syscall_nr = SYS_getpid;  // the thread's first event: nothing held before it
    workload.push_back(e);
    for (size_t i = 0; i + kHeld < t.calls.size(); i += kHeld + 1) {
      e.judged.count = kHeld;
      e.judged.recent.fill(-1);
      for (int k = 0; k < kHeld; ++k)
        e.judged.recent[JudgedCalls::kRecent - kHeld + k] = static_cast<int16_t>(t.calls[i + k]);
      e.syscall_nr = t.calls[i + kHeld];
      workload.push_back(e);
      calls += kHeld + 1;
    }
    SyscallEvent exit = e;
    exit.judged.count = 0;
    exit.syscall_nr = SYS_exit;
    workload.push_back(exit);
  }
  for (const auto& e : workload) detector.observe(e, "h", meta);  // every n-gram known
  state.SetLabel(std::string(corpus().real ? "ADFA-LD" : "synthetic") + ", " +
                 state_name(detector.profile(meta.image_id)->state));
  for (auto _ : state)
    for (const auto& e : workload) detector.observe(e, "h", meta);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * calls));
}
BENCHMARK(BM_DetectorLearnHeldCalls)->Unit(benchmark::kMillisecond);

// Edge mode's centre (`fleet`): decoding N hosts' learning profiles of one image and merging
// them, as every merge round does per image still learning. Arg: hosts.
void BM_FleetMergeLearning(benchmark::State& state) {
  int64_t now = 1'800'000'000;
  DetectorConfig config;
  config.learning.min_seconds = 1'000'000;  // learning throughout: the held-back part stays
  config.progress_interval_seconds = 1'000'000;
  Detector detector(config, nullptr, [](const Anomaly&) {}, [](const std::string&) {},
                    [&now] { return now; });
  const ContainerMeta meta{"bench", "bench:1", "sha256:bench"};
  for (const auto& t : synthetic(16, 20000, 5)) {
    SyscallEvent e;
    e.container_id = std::string(64, 'b');
    e.pid = e.tid = static_cast<int32_t>(t.calls.size() % 13 + 100);
    e.comm = "worker";
    e.exe = "/usr/bin/worker";
    for (int32_t c : t.calls) {
      e.syscall_nr = c;
      detector.observe(e, "h", meta);
    }
    detector.tick();
    ++now;
  }
  const std::string bytes = encode_profile(*detector.profile(meta.image_id));
  state.SetLabel(std::to_string(bytes.size() / 1024) + " KB per host");
  for (auto _ : state) {
    std::vector<ImageProfile> parts;
    for (int64_t h = 0; h < state.range(0); ++h) parts.push_back(decode_profile(bytes).value());
    benchmark::DoNotOptimize(merge_learning(parts, now));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_FleetMergeLearning)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace da

BENCHMARK_MAIN();
