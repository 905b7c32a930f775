#include "core/host_name.h"

#include <unistd.h>

namespace da {

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace da
