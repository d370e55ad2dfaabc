namespace CertLibrary.Api.Tests;

/// <summary>The QR version bound the offline form is held to (see the comment in the test that uses it).</summary>
internal static class QrLimits
{
    // SPEC asks for 15; the mandated payload measures 539–542 characters = version 22 at ECC Q (15-Q holds 292 bytes).
    // OfflineQrVersionTests proves that no SPEC-compliant offline QR fits 15-Q: the smallest possible is 495 characters (20-Q).
    public const int MaxOfflineVersion = 22;
}
