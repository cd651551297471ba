#include "services/common/idna.h"

#include <idn2.h>

#include <cstdlib>
#include <memory>

namespace crawlstream {

std::optional<std::string> HostToAscii(std::string_view host) {
  bool ascii = true;
  for (char c : host) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    std::string out(host);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  const std::string input(host);  // NUL-terminated for libidn2
  for (int flags : {IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL,
                    IDN2_NFC_INPUT | IDN2_TRANSITIONAL}) {
    char* out = nullptr;
    const int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(input.c_str()),
                                  reinterpret_cast<uint8_t**>(&out), flags);
    std::unique_ptr<char, void (*)(void*)> guard(out, idn2_free);
    if (rc == IDN2_OK && out != nullptr) return std::string(out);
  }
  return std::nullopt;
}

}  // namespace crawlstream
