// Profile files (`profiles import` takes them from anywhere, and the state dir is on disk):
// decoding rejects or accepts; an accepted profile encodes back to one that decodes to the
// same contents (hash maps need not keep their order), and the engine loads it and scores
// calls against it without crashing.
#include <fcntl.h>
#include <sys/syscall.h>

#include <cstddef>
#include <cstdint>

#include "detect/detector.h"
#include "detect/profile.h"
#include "detect/profile_store.h"
#include "fuzz_support.h"

namespace {

da::SyscallEvent call(int nr, std::vector<da::ArgValue> args = {}, int64_t ret = 0) {
  return da::fuzz::worker_call(1'800'000'000, 100, nr, std::move(args), ret);
}

}  // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto profile = da::decode_profile({reinterpret_cast<const char*>(data), size});
  if (!profile) return 0;
  const std::string encoded = da::encode_profile(*profile);
  auto again = da::decode_profile(encoded);
  DA_FUZZ_CHECK(again);
  const auto before = da::summarize(*profile, {}, 1'800'000'000);
  const auto after = da::summarize(*again, {}, 1'800'000'000);
  DA_FUZZ_CHECK(before.image_id == after.image_id && before.state == after.state);
  DA_FUZZ_CHECK(before.programs == after.programs && before.ngrams == after.ngrams &&
                before.calls == after.calls);
  DA_FUZZ_CHECK(before.execs == after.execs && before.files == after.files && before.peers == after.peers);

  // The engine finds it in its state dir, as after `profiles import`.
  static const da::ProfileStore store(da::fuzz::scratch_dir());
  if (!store.prepare() || !store.save(*profile)) return 0;
  da::DetectorConfig config;
  da::Detector detector(config, &store, [](const da::Anomaly&) {}, [](const std::string&) {},
                        [] { return int64_t{1'800'000'000}; });
  const da::ContainerMeta container{"web", profile->image, profile->image_id};
  const std::vector<std::string> argv{"sh", "-c", "id"};
  for (int round = 0; round < 3; ++round) {
    detector.observe(call(SYS_openat, {int64_t{-100}, std::string("/etc/passwd"), int64_t{O_RDONLY}, uint64_t{0}}, 3),
                     "host", container);
    detector.observe(call(SYS_read, {uint64_t{3}, uint64_t{0}, uint64_t{4096}}, 100), "host", container);
    detector.observe(call(SYS_connect, {uint64_t{3}, std::string("127.0.0.1:6379"), uint64_t{16}}), "host", container);
    detector.observe(call(SYS_execve, {std::string("/bin/sh"), argv, uint64_t{0}}), "host", container);
  }
  detector.tick();
  return 0;
}
