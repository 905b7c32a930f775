#pragma once
// What a profile learned of files and network peers, generalised so that per-object names do
// not make every day look new: once a program has used kSiblingsForPattern distinct names in one
// directory (static pages, relation files, temp files), the directory is learned as a pattern
// "r /srv/www/*"; the same for peers ("accept *", "connect *:5432", "bind 0.0.0.0:*").
//
// Patterns never cover what matters most: a sensitive path (shadow, ssh keys, writes to system
// directories, …) is known only if exactly that path was learned, and system directories such
// as /etc are never generalised at all.
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "detect/anomaly.h"

namespace da {

constexpr size_t kSiblingsForPattern = 8;

// Ordered by the transparent std::less<>: a key in hand as a string_view is looked up as it
// is, without a copy (the detector looks up every file a container opens).
using LearnedSet = std::set<std::string, std::less<>>;

// Keys are "MODE PATH" for files (MODE r, w, rw or ?) and "VERB ADDRESS" for peers.
// True if `learned` holds the key itself or a pattern or mode that covers it.
bool covers(const LearnedSet& learned, AnomalyKind kind, std::string_view key);

// Learns a key: false if it was already covered. May replace siblings with a pattern.
bool learn_resource(LearnedSet& learned, AnomalyKind kind, const std::string& key);

// Sensitive file keys are reported high and never matched by a pattern.
bool is_sensitive_file(std::string_view key);

}  // namespace da
