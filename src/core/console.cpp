#include "core/console.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace da {
namespace {

// One logger for the process, writing to stderr unbuffered (a crash loses nothing); the level
// word ends in a colon so "error: ..." and "warning: ..." read as they always did.
spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto l = std::make_shared<spdlog::logger>("docker-anomalies",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l: %v");
    l->set_level(spdlog::level::info);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *instance;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning" || name == "warn") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

void set_log_level(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: logger().set_level(spdlog::level::debug); break;
    case LogLevel::kInfo: logger().set_level(spdlog::level::info); break;
    case LogLevel::kWarning: logger().set_level(spdlog::level::warn); break;
    case LogLevel::kError: logger().set_level(spdlog::level::err); break;
  }
}

void Console::line(const std::string& text) {
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// Messages are passed as data, never as a format string: text from containers may hold "{}".
void Console::debug(const std::string& text) { logger().debug("{}", text); }
void Console::info(const std::string& text) { logger().info("{}", text); }
void Console::warn(const std::string& text) { logger().warn("{}", text); }
void Console::error(const std::string& text) { logger().error("{}", text); }

void Console::log(LogLevel level, const std::string& text) {
  switch (level) {
    case LogLevel::kDebug: debug(text); break;
    case LogLevel::kInfo: info(text); break;
    case LogLevel::kWarning: warn(text); break;
    case LogLevel::kError: error(text); break;
  }
}

void Console::tagged(const std::string& text) {
  if (text.starts_with("error: "))
    error(text.substr(7));
  else if (text.starts_with("warning: "))
    warn(text.substr(9));
  else
    info(text);
}

}  // namespace da
