// Test helper: the crypto backend the templated conformance tests run against. Botan 2 by
// default; compiled with PERC_TEST_IPSEC_MB defined (tests/meson.build, test 'ipsec-mb') the
// same test sources run against the Intel IPsec-MB backend instead.
#pragma once

#ifdef PERC_TEST_IPSEC_MB
#include <perc/ipsec_mb/double.hpp>
#else
#include <perc/botan/double.hpp>
#endif

namespace perc_test::backend {

#ifdef PERC_TEST_IPSEC_MB
namespace impl = perc::ipsec_mb;
inline constexpr const char* name = "ipsec_mb";
#else
namespace impl = perc::botan;
inline constexpr const char* name = "botan";
#endif

using srtp_aes_128_gcm = impl::srtp_aes_128_gcm;
using srtp_aes_256_gcm = impl::srtp_aes_256_gcm;
using double_aes_128_gcm = impl::double_aes_128_gcm;
using double_aes_256_gcm = impl::double_aes_256_gcm;
using media_distributor_aes_128_gcm = impl::media_distributor_aes_128_gcm;
using media_distributor_aes_256_gcm = impl::media_distributor_aes_256_gcm;

} // namespace perc_test::backend
