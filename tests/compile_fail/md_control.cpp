// Control for md_inner_key.cpp: the identical program with a single-layer RFC 7714 transform
// (an outer key only), which a Media Distributor may hold (RFC 8723 §5.2). Must compile, so a
// failure of md_inner_key.cpp is known to come from the role check and nothing else.
#include <perc/media_distributor.hpp>

#include <perc/botan/double.hpp>

using outer = perc::botan::srtp_aes_128_gcm;

int main()
{
    perc::md_link<outer> link;
    perc::media_distributor<outer> md;
    (void)link;
    (void)md;
    return 0;
}
