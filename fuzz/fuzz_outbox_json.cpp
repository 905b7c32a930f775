// Alerts read back from the on-disk outbox (written by us, but a disk or an operator can damage
// them): what is accepted formats for every sink, and what we write reads back.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "alert/alert_format.h"
#include "core/json_text.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto json = nlohmann::json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;
  auto alert = da::anomaly_from_json(json);
  if (!alert) return 0;
  (void)da::alert_text(*alert);
  (void)da::alert_title(*alert);
  (void)da::email_message(*alert, "agent@example.org", {"admin@example.org"});
  (void)da::json_text(da::falco_payload(*alert));
  const std::string written = da::json_text(da::anomaly_to_json(*alert));
  auto reread = nlohmann::json::parse(written, nullptr, false);
  DA_FUZZ_CHECK(!reread.is_discarded());
  DA_FUZZ_CHECK(da::anomaly_from_json(reread));
  return 0;
}
