#include "alert/webhook_sink.h"

#include <curl/curl.h>

#include "alert/alert_format.h"
#include "core/json_text.h"

namespace da {
namespace {

size_t collect(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() < 512) out->append(data, std::min(size * count, 512 - out->size()));
  return size * count;
}

}  // namespace

Result<std::unique_ptr<WebhookSink>> WebhookSink::create(const WebhookSettings& s) {
  if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
    return Error{"the webhook URL must start with http:// or https:// (got '" + s.url + "')"};
  for (const auto& h : s.headers)
    if (h.find(':') == std::string::npos || h.find('\n') != std::string::npos)
      return Error{"webhook header '" + h + "' must look like 'Name: value'"};
  return std::unique_ptr<WebhookSink>(new WebhookSink(s));
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
    return Error{"webhook " + settings_.url + " failed: " + (error[0] ? error : curl_easy_strerror(rc))};
  if (status < 200 || status >= 300)
    return Error{"webhook " + settings_.url + " answered HTTP " + std::to_string(status) +
                 (response.empty() ? "" : ": " + response)};
  return ok_status();
}

}  // namespace da
