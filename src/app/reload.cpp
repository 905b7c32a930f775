#include "app/reload.h"

namespace da {

void reload_configuration(const Reread& reread, DetectionPipeline* detection, Console& console) {
  console.info("SIGHUP: reading the configuration again");
  if (!reread) return;
  auto fresh = reread();
  if (!fresh) {
    console.error("reload: " + fresh.error().message + "; nothing changed");
    return;
  }
  if (auto level = parse_log_level(fresh->log_level)) set_log_level(*level);
  if (detection) detection->request_reload(fresh->detection);
}

void reopen_files(DetectionPipeline* detection, Console& console) {
  if (!detection) return;
  detection->reopen_files();
  console.info("SIGUSR1: alert files are reopened before their next write");
}

}  // namespace da
