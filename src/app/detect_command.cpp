// `detect --redis URL`: a detector without capture. It reads the agents' event stream through a
// Redis consumer group, so several detectors share one stream (each batch goes to one of them).
#include <unistd.h>

#include "app/commands.h"
#include "core/console.h"
#include "core/host_name.h"
#include "app/detection_pipeline.h"
#include "transport/event_consumer.h"
#include "app/signals.h"
#include "transport/redis_stream.h"

namespace da {

int detect_command(const DetectOptions& options) {
  Console console;
  auto url = redis_url_with_credentials(options.redis_url, options.redis_credentials);
  if (!url) {
    console.error("error: " + url.error().message);
    return 2;
  }
  RedisReadOptions read;
  read.stream = options.stream;
  read.group = options.group;
  read.consumer = options.consumer.empty() ? host_name() + ":" + std::to_string(getpid())
                                           : options.consumer;
  auto source = RedisStreamSource::create(*url, read);
  if (!source) {
    console.error("error: " + source.error().message);
    return 1;
  }
  auto detection = DetectionPipeline::create(options.detection, console);
  if (!detection) {
    console.error("error: " + detection.error().message);
    return 1;
  }
  EventConsumer consumer(**source, [&](const std::string& m) { console.error("warning: " + m); });
  consumer.add_handler(**detection);
  console.line("Detecting from " + (*source)->describe() + " as consumer " + read.consumer);

  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    while (!stop)
      if (wait_for_termination(std::chrono::milliseconds(200))) stop = true;
  });
  int code = 0;
  while (!stop) {
    // A Redis outage is waited out: the agents keep the stream, the group keeps our place.
    auto n = consumer.run_inline(0, false, stop);
    if (!n && !stop) {
      console.error("warning: " + n.error().message + " (retrying in 2 s)");
      for (int i = 0; i < 20 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  stopper.join();
  console.line("read " + std::to_string(consumer.events()) + " events");
  console.line((*detection)->finish());
  if (!(*detection)->profiles_saved()) code = 1;
  return code;
}

}  // namespace da
