#include "alert/email_sink.h"

#include <curl/curl.h>

#include <cstdlib>

#include "alert/alert_format.h"
#include "core/secret_file.h"

namespace da {
namespace {

struct Upload {
  const std::string& data;
  size_t offset = 0;
};

size_t read_chunk(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

std::string angle(const std::string& address) {
  // "Name <a@b>" or "a@b" -> "<a@b>" for the SMTP envelope.
  const auto open = address.find('<');
  if (open != std::string::npos) return address.substr(open);
  return "<" + address + ">";
}

}  // namespace

Result<std::optional<SmtpCredentials>> load_smtp_credentials(const EmailSettings& s) {
  if (!s.credentials_file.empty()) {
    auto read = read_secret_line(s.credentials_file, "SMTP credentials");
    if (!read) return read.error();
    const std::string& line = *read;
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0)
      return Error{"the SMTP credentials file " + s.credentials_file + " must hold one line username:password"};
    return std::optional<SmtpCredentials>(SmtpCredentials{line.substr(0, colon), line.substr(colon + 1)});
  }
  const char* user = std::getenv("DA_SMTP_USERNAME");
  const char* password = std::getenv("DA_SMTP_PASSWORD");
  if (user && *user) return std::optional<SmtpCredentials>(SmtpCredentials{user, password ? password : ""});
  return std::optional<SmtpCredentials>();
}

Result<std::unique_ptr<EmailSink>> EmailSink::create(const EmailSettings& s) {
  if (s.smtp_url.rfind("smtp://", 0) != 0 && s.smtp_url.rfind("smtps://", 0) != 0)
    return Error{"the SMTP URL must start with smtp:// or smtps:// (got '" + s.smtp_url + "')"};
  const std::string authority = s.smtp_url.substr(s.smtp_url.find("//") + 2);
  const auto at = authority.find('@');
  if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos)
    return Error{"put the SMTP password in a credentials file (--smtp-credentials) or "
                 "DA_SMTP_PASSWORD, not in the URL: command lines are visible to every user"};
  if (s.from.empty()) return Error{"email alerts need a sender (--email-from)"};
  if (s.to.empty()) return Error{"email alerts need at least one recipient (--email-to)"};
  auto credentials = load_smtp_credentials(s);
  if (!credentials) return credentials.error();
  return std::unique_ptr<EmailSink>(new EmailSink(s, std::move(*credentials)));
}

Status EmailSink::send(const std::string& message) {
  CURL* curl = curl_easy_init();
  if (!curl) return Error{"cannot initialise libcurl"};
  curl_slist* recipients = nullptr;
  for (const auto& r : settings_.to) recipients = curl_slist_append(recipients, angle(r).c_str());
  Upload upload{message};
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, settings_.smtp_url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, angle(settings_.from).c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_chunk);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  if (settings_.smtp_url.rfind("smtp://", 0) == 0)
    curl_easy_setopt(curl, CURLOPT_USE_SSL,
                     settings_.require_tls ? static_cast<long>(CURLUSESSL_ALL) : static_cast<long>(CURLUSESSL_TRY));
  if (!settings_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, settings_.ca_file.c_str());
  if (settings_.insecure) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (credentials_) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, credentials_->username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, credentials_->password.c_str());
  }
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(recipients);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK)
    return Error{"email via " + settings_.smtp_url + " failed: " + (error[0] ? error : curl_easy_strerror(rc))};
  return ok_status();
}

Status EmailSink::deliver(const Anomaly& a) {
  if (settings_.digest_minutes > 0 && a.severity != Severity::kHigh && !a.test) {
    // Lesser alerts wait for the digest; high severity always goes out at once.
    if (digest_.empty()) digest_started_ = std::chrono::steady_clock::now();
    digest_.push_back(a);
    return flush();
  }
  return send(email_message(a, settings_.from, settings_.to));
}

Status EmailSink::flush() {
  if (digest_.empty()) return ok_status();
  const auto due = digest_started_ + std::chrono::minutes(settings_.digest_minutes);
  if (std::chrono::steady_clock::now() < due) return ok_status();
  return drain();
}

Status EmailSink::drain() {
  if (digest_.empty()) return ok_status();
  if (auto s = send(digest_message(digest_, settings_.from, settings_.to)); !s) return s;
  digest_.clear();
  return ok_status();
}

}  // namespace da
