// Event batches as they arrive from any transport (a Redis stream entry anyone with XADD rights
// can write): decoding rejects or accepts without crashing, what it accepts encodes and decodes
// back to the same events, and printing them (--print-syscalls, dump) never throws.
#include <cstddef>
#include <cstdint>

#include "syscalls/event_json.h"
#include "core/json_text.h"
#include "fuzz_support.h"
#include "transport/wire_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto batch = da::decode_batch({reinterpret_cast<const char*>(data), size});
  if (!batch) return 0;
  for (const auto& e : batch->events) (void)da::json_text(da::event_to_json(e));
  auto again = da::decode_batch(da::encode_batch(*batch));
  DA_FUZZ_CHECK(again);
  DA_FUZZ_CHECK(again->events.size() == batch->events.size());
  DA_FUZZ_CHECK(again->host == batch->host && again->lost == batch->lost);
  for (size_t i = 0; i < batch->events.size(); ++i)
    DA_FUZZ_CHECK(again->events[i].args == batch->events[i].args);
  return 0;
}
