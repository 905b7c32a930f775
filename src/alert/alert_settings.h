#pragma once
// What the user configures about alerting (flags, or the `alerts:` section of --config).
#include <string>
#include <vector>

namespace da {

struct EmailSettings {
  std::string smtp_url;  // smtp://host:port (STARTTLS when offered) or smtps://host:port
  std::string from;
  std::vector<std::string> to;
  bool require_tls = false;      // smtp://: refuse to send unless STARTTLS succeeds
  std::string credentials_file;  // "username:password" (else DA_SMTP_USERNAME/DA_SMTP_PASSWORD)
  std::string ca_file;           // trust this CA (PEM) instead of the system's
  bool insecure = false;         // do not verify the server certificate (tests only)
  int digest_minutes = 0;        // > 0: medium/low alerts go out as one digest email per period
};

struct WebhookSettings {
  std::string url;  // http(s)://...: POST of a falcosidekick-compatible JSON payload
  std::vector<std::string> headers;  // "Name: value", from the command line: nothing secret
  std::string headers_file;          // one "Name: value" per line: where tokens belong
  std::string ca_file;
  bool insecure = false;
};

struct SyslogSettings {
  std::string target;  // "" off; unix:///dev/log, udp://host:port
  std::string facility = "daemon";
};

struct NoiseSettings {
  int window_seconds = 300;  // the same anomaly in the same container within it: one alert + count
  int rate_per_minute = 20;  // per container; high severity is never rate-limited
  // The fleet's dispatcher (edge mode): the same anomaly of the same image on any host is one
  // incident, and the rate applies per image.
  bool per_image = false;
};

// Edge mode: alerts also go to the fleet's alert stream in Redis, for one dispatcher.
struct FleetAlertSettings {
  std::string redis_url;    // "" off
  std::string credentials;  // as --redis-credentials
};

struct AlertSettings {
  std::string json_file;  // --alert-json
  bool console_json = false;  // --json: alerts on stdout as JSON lines, not text
  EmailSettings email;
  WebhookSettings webhook;
  SyslogSettings syslog;
  NoiseSettings noise;
  FleetAlertSettings fleet;
  size_t outbox_limit = 10000;  // alerts kept on disk per sink while it cannot deliver
};

}  // namespace da
