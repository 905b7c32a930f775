#pragma once
// Alerts appended to a file, one JSON object per line (--alert-json FILE), for log shippers.
#include <atomic>
#include <memory>
#include <string>

#include "alert/alert_sink.h"

namespace da {

class JsonLinesSink final : public AlertSink {
 public:
  // Opens (creating) the file for appending; the message says why it cannot.
  static Result<std::unique_ptr<JsonLinesSink>> open(const std::string& path);
  ~JsonLinesSink() override;
  std::string name() const override { return "json:" + path_; }
  Status deliver(const Anomaly& anomaly) override;
  void reopen() override { reopen_ = true; }

 private:
  JsonLinesSink(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
  std::atomic<bool> reopen_{false};
};

}  // namespace da
