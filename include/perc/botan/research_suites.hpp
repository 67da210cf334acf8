// perc — ready-made transforms for the researcher suites on the Botan backend:
// ChaCha20-Poly1305 (RFC 8439) and AES-128-OCB (RFC 7253) as RFC 7714-style AEAD SRTP layers,
// alone, as both layers of an RFC 8723 double transform, mixed with AES-GCM, and at a Media
// Distributor. docs/adding-a-suite.md explains how they were added.
//
// NON-STANDARD: none of these has a DTLS-SRTP protection profile (RFC 5764 §4.1.2), so they
// cannot be negotiated and do not appear in perc::profiles; both ends must configure the same
// suite out of band. Everything else is RFC 7714 / RFC 8723 unchanged: the §8.1/§9.1 IV is the
// AEAD nonce, the AAD rules are the same, and each layer's session keys come from the RFC 3711
// AES-CM KDF (§4.3) with a 12-octet master salt.
#pragma once

#include <perc/botan/aes_cm_kdf.hpp>
#include <perc/botan/aes_ocb.hpp>
#include <perc/botan/chacha20_poly1305.hpp>
#include <perc/botan/srtp.hpp>
#include <perc/double_endpoint.hpp>
#include <perc/media_distributor.hpp>
#include <perc/srtp_aead_transform.hpp>

namespace perc::botan {

/// ChaCha20-Poly1305 SRTP layer. Its 32-octet session key is derived with AES_256_CM_PRF
/// (RFC 6188 §6) from a 32-octet master key — a choice of perc (no RFC pairs this KDF with
/// ChaCha20), made because the RFC 3711 KDF is what every other layer uses.
using srtp_chacha20_poly1305 = srtp_aead_transform<aead_chacha20_poly1305, aes_cm_kdf<32>>;
/// AES-128-OCB SRTP layer: AES_CM PRF (RFC 3711 §4.3.3) with a 16-octet master key.
using srtp_aes_128_ocb = srtp_aead_transform<aead_aes_128_ocb, aes_cm_kdf<16>>;

/// RFC 8723 double transforms, same suite in both layers (master key = inner ‖ outer).
using double_chacha20_poly1305 = double_endpoint<srtp_chacha20_poly1305, srtp_chacha20_poly1305>;
using double_aes_128_ocb = double_endpoint<srtp_aes_128_ocb, srtp_aes_128_ocb>;
/// Mixed doubles: inner (end-to-end) suite first. Master key 32 + 16 octets, salt 12 + 12.
using double_chacha20_poly1305_aes_128_gcm =
    double_endpoint<srtp_chacha20_poly1305, srtp_aes_128_gcm>;
/// Master key 16 + 32 octets, salt 12 + 12.
using double_aes_128_ocb_chacha20_poly1305 =
    double_endpoint<srtp_aes_128_ocb, srtp_chacha20_poly1305>;

/// Media Distributors holding only an outer key of one of these suites.
using media_distributor_chacha20_poly1305 = media_distributor<srtp_chacha20_poly1305>;
using media_distributor_aes_128_ocb = media_distributor<srtp_aes_128_ocb>;

} // namespace perc::botan
