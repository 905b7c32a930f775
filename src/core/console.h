#pragma once
// What the user reads. stdout carries only what they asked for — alerts, --print-syscalls
// JSON, a command's result and summary — one whole line at a time, so lines from different
// threads never interleave. Everything else (status, progress, warnings, errors) is a log
// line on stderr, where service managers (journald) collect it, through spdlog:
//   2026-12-02T06:30:00.123 info: Monitoring container: 0f3e... (name=web, image=shop/web:1.0)
// Levels: debug (per-process lines), info, warning, error; --log-level picks the lowest shown.
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace da {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// "debug", "info", "warning" (or "warn"), "error"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view name);
// Process-wide: every Console logs at this level and above (info by default).
void set_log_level(LogLevel level);

class Console {
 public:
  void line(const std::string& text);  // stdout: a result the user asked for

  void debug(const std::string& text);
  void info(const std::string& text);
  void warn(const std::string& text);
  void error(const std::string& text);
  void log(LogLevel level, const std::string& text);
  // For messages that carry their level as a prefix ("error: ...", "warning: ..."; else info),
  // as the engine's and the dispatcher's log callbacks write them.
  void tagged(const std::string& text);

 private:
  std::mutex mutex_;
};

}  // namespace da
