#include "docker/docker_client.h"

#include <curl/curl.h>

#include <cstdio>
#include <memory>

namespace da {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

size_t append_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

struct StreamState {
  std::string pending;
  const std::function<void(std::string_view)>* on_line;
  const std::atomic<bool>* stop;
};

size_t stream_body(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<StreamState*>(user);
  s->pending.append(data, size * n);
  size_t start = 0;
  for (size_t nl; (nl = s->pending.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (nl > start) (*s->on_line)(std::string_view(s->pending).substr(start, nl - start));
  }
  s->pending.erase(0, start);
  return size * n;
}

int stream_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<StreamState*>(user)->stop->load() ? 1 : 0;  // non-zero aborts
}

std::unique_ptr<CURL, CurlDeleter> make_handle(const DockerEndpoint& ep, const std::string& url) {
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return c;
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  if (!ep.unix_socket.empty()) curl_easy_setopt(c.get(), CURLOPT_UNIX_SOCKET_PATH, ep.unix_socket.c_str());
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 5L);
  return c;
}

}  // namespace

std::string DockerClient::unreachable(const std::string& why) const {
  return "cannot reach Docker at " + endpoint_.display + ": " + why +
         " — is dockerd running? Run as root (or a member of the docker group), or set "
         "DOCKER_HOST / --docker-host to the daemon's socket";
}

Result<std::string> DockerClient::get(const std::string& path) {
  auto c = make_handle(endpoint_, endpoint_.base_url + path);
  if (!c) return Error{"cannot initialise libcurl"};
  std::string body;
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 30L);
  CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) return Error{unreachable(curl_easy_strerror(rc))};
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    return Error{"Docker API GET " + path + " answered HTTP " + std::to_string(status) + ": " +
                 body.substr(0, 300)};
  return body;
}

Status DockerClient::ping() {
  auto r = get("/_ping");
  if (!r) return r.error();
  return ok_status();
}

Result<std::vector<std::string>> DockerClient::running_containers() {
  auto r = get("/containers/json");
  if (!r) return r.error();
  return parse_container_list(*r);
}

Result<ContainerInfo> DockerClient::inspect(const std::string& id) {
  auto r = get("/containers/" + id + "/json");
  if (!r) return r.error();
  return parse_container_inspect(*r);
}

Status DockerClient::stream_events(double since_unix_seconds,
                                   const std::function<void(std::string_view)>& on_line,
                                   const std::atomic<bool>& stop) {
  // Only container events; the filter is URL-encoded {"type":["container"]}.
  char since[64];
  std::snprintf(since, sizeof since, "%.3f", since_unix_seconds);
  auto c = make_handle(endpoint_, endpoint_.base_url + "/events?since=" + since +
                                      "&filters=%7B%22type%22%3A%5B%22container%22%5D%7D");
  if (!c) return Error{"cannot initialise libcurl"};
  StreamState state{{}, &on_line, &stop};
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, stream_body);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, stream_progress);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, &state);
  CURLcode rc = curl_easy_perform(c.get());
  if (rc == CURLE_ABORTED_BY_CALLBACK || stop) return ok_status();
  if (rc != CURLE_OK) return Error{unreachable(curl_easy_strerror(rc))};
  return Error{"Docker closed the event stream"};
}

}  // namespace da
