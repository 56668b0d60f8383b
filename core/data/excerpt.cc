#include "core/data/excerpt.h"

#include <cstdio>

namespace fedcrm::data {

std::string Excerpt(std::string_view value, std::size_t max_bytes) {
  const bool cut = value.size() > max_bytes;
  if (cut) value = value.substr(0, max_bytes);
  std::string out;
  out.reserve(value.size() + 8);
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof(escaped), "\\x%02X", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  return out;
}

std::string JoinForMessage(std::span<const std::string> items, std::size_t max_items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i == max_items) {
      out += ", ... (" + std::to_string(items.size() - i) + " more)";
      break;
    }
    if (i > 0) out += ", ";
    out += Excerpt(items[i], 40);
  }
  return out;
}

}  // namespace fedcrm::data
