namespace CertLibrary.Api.Tests;

/// <summary>The QR version bounds of the offline form (SPEC §5, format 2, error correction Q).</summary>
internal static class QrLimits
{
    // Dual-signed (SM2 + ES256) at most version 16 (470 alphanumeric characters), one suite at most 14. Measured on the
    // demo types: dual-signed about 456 characters (zlib 301 bytes, COSE 311) = 16-Q, SM2 alone about 321 = 13-Q. Claim 1
    // carries the id without its constant root 1.2.156.3005.2. (CoseQr.IdRoot): with it the dual-signed QR was 475 = 17-Q.
    public const int MaxOfflineVersion = 16;

    public const int MaxSingleSuiteVersion = 14;
}
