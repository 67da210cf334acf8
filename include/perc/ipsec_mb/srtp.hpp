// perc — ready-made RFC 7714 transforms on the Intel IPsec-MB backend (no Botan needed).
#pragma once

#include <perc/ipsec_mb/aead.hpp>
#include <perc/ipsec_mb/aes_cm_kdf.hpp>
#include <perc/srtp_aead_transform.hpp>

namespace perc::ipsec_mb {

/// SRTP_AEAD_AES_128_GCM (RFC 7714, DTLS-SRTP 0x0007): AES_CM PRF key derivation.
using srtp_aes_128_gcm = srtp_aead_transform<aead_aes_128_gcm, aes_cm_kdf<16>>;
/// SRTP_AEAD_AES_256_GCM (RFC 7714, DTLS-SRTP 0x0008): AES_256_CM_PRF (RFC 6188).
using srtp_aes_256_gcm = srtp_aead_transform<aead_aes_256_gcm, aes_cm_kdf<32>>;

} // namespace perc::ipsec_mb
