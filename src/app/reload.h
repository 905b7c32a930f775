#pragma once
// What SIGHUP and SIGUSR1 do in a command that detects (run, detect) or only captures (agent).
#include "app/commands.h"
#include "app/detection_pipeline.h"
#include "core/console.h"

namespace da {

// SIGHUP: reads the command line and its --config again; the log level applies at once, the
// alert outputs, noise control and threshold floor at the detection thread's next tick. A
// configuration with errors changes nothing.
void reload_configuration(const Reread& reread, DetectionPipeline* detection, Console& console);
// SIGUSR1: alert files are reopened by name before their next write (logrotate).
void reopen_files(DetectionPipeline* detection, Console& console);

}  // namespace da
