// `dump --redis URL`: the event stream read back as JSON lines, for people and scripts.
#include "app/commands.h"
#include "core/console.h"
#include "transport/event_consumer.h"
#include "app/signals.h"
#include "syscalls/event_json.h"
#include "core/json_text.h"
#include "transport/redis_stream.h"

namespace da {
namespace {

class JsonLinePrinter final : public EventHandler {
 public:
  void on_event(const SyscallEvent& e, const EventContext&) override {
    std::string line = json_text(event_to_json(e));
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
};

}  // namespace

int dump_command(const DumpOptions& options) {
  Console console;
  auto url = redis_url_with_credentials(options.redis_url, options.redis_credentials);
  if (!url) {
    console.error(url.error().message);
    return 2;
  }
  RedisReadOptions read;
  read.stream = options.stream;
  read.start_id = "0";
  auto source = RedisStreamSource::create(*url, read);
  if (!source) {
    console.error(source.error().message);
    return 1;
  }
  EventConsumer consumer(**source, [&](const std::string& m) { console.warn(m); });
  JsonLinePrinter printer;
  consumer.add_handler(printer);
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    while (!stop) {
      if (wait_for_termination(std::chrono::milliseconds(200))) stop = true;
    }
  });
  auto n = consumer.run_inline(options.count, !options.follow, stop);
  stop = true;
  stopper.join();
  std::fflush(stdout);
  if (!n) {
    console.error(n.error().message);
    return 1;
  }
  if (consumer.malformed_batches())
    console.warn("skipped " + std::to_string(consumer.malformed_batches()) +
                  " malformed batches");
  return 0;
}

}  // namespace da
