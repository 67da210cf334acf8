// Compile-fail test (DESIGN rule 2, RFC 8723 §5.2): a Media Distributor holds only outer
// (hop-by-hop) keys, so instantiating it with a double (end-to-end + hop-by-hop) transform
// must not compile. run.sh expects this file to FAIL with the md_link static_assert text
// "media_distributor holds only outer (hop-by-hop) keys"; md_control.cpp is the identical
// program with a single-layer transform and must compile.
#include <perc/media_distributor.hpp>

#include <perc/botan/double.hpp>

using outer = perc::botan::double_aes_128_gcm;

int main()
{
    perc::md_link<outer> link;
    perc::media_distributor<outer> md;
    (void)link;
    (void)md;
    return 0;
}
