using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using CertLibrary.Verification;

namespace CertLibrary.Api.Apis;

/// <summary>
/// Whether an identity number typed by a verifier (from the holder's ID card) is the one a QR's holder binding was
/// made from (SPEC §5): <c>"match"</c> or <c>"mismatch"</c>, null when the QR carries no binding. Format 2 costs one
/// scrypt (tens of milliseconds, 32 MiB), so at most one per core runs at a time.
/// </summary>
internal static class HolderBindingCheck
{
    public const string Match = "match";
    public const string Mismatch = "mismatch";

    private static readonly SemaphoreSlim Gate = new(Environment.ProcessorCount, Environment.ProcessorCount);

    public static async Task<string?> CheckAsync(string qr, MaskedCertificate? certificate, string idNumber, CancellationToken cancellationToken)
    {
        if (certificate is not { HolderBinding: { } binding, HolderSalt: { } salt })
        {
            return null;
        }

        if (!qr.StartsWith(CoseQr.Prefix, StringComparison.Ordinal))
        {
            return HolderMasking.Matches(binding, salt, idNumber) ? Match : Mismatch;
        }

        if (!Base64Url.TryDecode(binding, out var bindingBytes) || !Base64Url.TryDecode(salt, out var saltBytes))
        {
            return Mismatch;
        }

        await Gate.WaitAsync(cancellationToken);
        try
        {
            return HolderBindingKdf.Matches(bindingBytes, saltBytes, idNumber) ? Match : Mismatch;
        }
        finally
        {
            Gate.Release();
        }
    }
}
