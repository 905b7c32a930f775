#pragma once
// Text a container controls (file names, argv, comm) shown on a terminal or in a line-oriented
// log: control characters are escaped so a newline in a file name cannot forge a whole line
// (an "ALERT ... on FORGED" of its own) and escape sequences cannot repaint the screen.
#include <string>
#include <string_view>

namespace da {

// "\n" -> "\\n", "\t" -> "\\t", other bytes below 0x20 and 0x7f -> "\\xNN", "\\" -> "\\\\".
// Bytes >= 0x80 (UTF-8) are kept.
std::string printable(std::string_view text);

}  // namespace da
