#include "alert/webhook_sink.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "alert/alert_format.h"
#include "core/json_text.h"

namespace da {
namespace {

size_t collect(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() < 512) out->append(data, std::min(size * count, 512 - out->size()));
  return size * count;
}

// The URL without user:password@, for messages.
std::string redacted(const std::string& url) {
  const auto start = url.find("://");
  if (start == std::string::npos) return "(not a URL)";
  const auto end = url.find_first_of("/?#", start + 3);
  const auto at = url.rfind('@', end == std::string::npos ? url.size() : end);
  return at == std::string::npos || at < start ? url : url.substr(0, start + 3) + "***@" + url.substr(at + 1);
}

std::string header_name(const std::string& header) { return header.substr(0, header.find(':')); }

// Header names that carry credentials: their values are never taken from a command line.
bool carries_secret(const std::string& header) {
  std::string name = header_name(header);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* word : {"auth", "token", "key", "secret", "password", "cookie", "signature"})
    if (name.find(word) != std::string::npos) return true;
  return false;
}

Status check_header(const std::string& h) {
  if (h.find(':') == std::string::npos || h.find_first_of("\r\n") != std::string::npos || header_name(h).empty())
    return Error{"webhook header '" + header_name(h) + "…' must look like 'Name: value'"};
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<WebhookSink>> WebhookSink::create(const WebhookSettings& s) {
  if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
    return Error{"the webhook URL must start with http:// or https:// (got '" + redacted(s.url) + "')"};
  WebhookSettings settings = s;
  for (const auto& h : s.headers) {
    if (auto ok = check_header(h); !ok) return ok.error();
    if (carries_secret(h))
      return Error{"put the webhook header " + header_name(h) + " in a headers file (--webhook-headers-file), "
                   "not on the command line: command lines are visible to every user"};
  }
  if (!s.headers_file.empty()) {
    std::ifstream in(s.headers_file);
    if (!in) return Error{"cannot read the webhook headers file " + s.headers_file + ": " + std::strerror(errno)};
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      if (auto ok = check_header(line); !ok)
        return Error{"in " + s.headers_file + ": " + ok.error().message};
      settings.headers.push_back(line);
    }
  }
  return std::unique_ptr<WebhookSink>(new WebhookSink(settings));
}

Status WebhookSink::deliver(const Anomaly& a) {
  const std::string body = json_text(falco_payload(a));
  CURL* curl = curl_easy_init();
  if (!curl) return Error{"cannot initialise libcurl"};
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers = curl_slist_append(headers, "User-Agent: docker-anomalies");
  for (const auto& h : settings_.headers) headers = curl_slist_append(headers, h.c_str());
  std::string response;
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (!settings_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, settings_.ca_file.c_str());
  if (settings_.insecure) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK)
    return Error{"webhook " + redacted(settings_.url) + " failed: " + (error[0] ? error : curl_easy_strerror(rc))};
  if (status < 200 || status >= 300)
    return Error{"webhook " + redacted(settings_.url) + " answered HTTP " + std::to_string(status) +
                 (response.empty() ? "" : ": " + response)};
  return ok_status();
}

}  // namespace da
