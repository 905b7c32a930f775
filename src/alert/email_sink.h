#pragma once
// Alerts by email over SMTP (libcurl): smtp:// with STARTTLS when the server offers it (or
// required), smtps:// with implicit TLS, AUTH with credentials from a file or the environment —
// never from the command line. Optionally a digest: medium/low alerts batched per period.
#include <chrono>
#include <memory>
#include <optional>
#include <mutex>
#include <vector>

#include "alert/alert_settings.h"
#include "alert/alert_sink.h"

namespace da {

struct SmtpCredentials {
  std::string username, password;
};

// From settings.credentials_file ("username:password", one line) or DA_SMTP_USERNAME and
// DA_SMTP_PASSWORD; none when neither is set.
Result<std::optional<SmtpCredentials>> load_smtp_credentials(const EmailSettings& settings);

class EmailSink final : public AlertSink {
 public:
  // Checks the settings (URL scheme, no password in the URL, from and to present).
  static Result<std::unique_ptr<EmailSink>> create(const EmailSettings& settings);
  std::string name() const override { return "email"; }
  Status deliver(const Anomaly& anomaly) override;
  Status flush() override;
  bool durable() const override { return true; }
  Status drain() override;

  // Sends one message as is (used by deliver and the digest).
  Status send(const std::string& message);

 private:
  EmailSink(EmailSettings settings, std::optional<SmtpCredentials> credentials)
      : settings_(std::move(settings)), credentials_(std::move(credentials)) {}
  EmailSettings settings_;
  std::optional<SmtpCredentials> credentials_;
  std::vector<Anomaly> digest_;
  std::chrono::steady_clock::time_point digest_started_;
};

}  // namespace da
