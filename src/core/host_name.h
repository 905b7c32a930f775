#pragma once
// The name this machine reports (gethostname): tags every batch, alert and consumer name.
#include <string>

namespace da {

std::string host_name();

}  // namespace da
