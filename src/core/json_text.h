#pragma once
// JSON text of a value that may hold strings a container chose (file names, comm, argv): those
// need not be UTF-8, and nlohmann's default dump() throws on them. Invalid bytes become U+FFFD
// instead, so one odd file name can never take the agent down.
#include <nlohmann/json.hpp>
#include <string>

namespace da {

template <typename Json>
std::string json_text(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace da
