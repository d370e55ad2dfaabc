using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OneNumber;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// The access-log hook of single-certificate reads (by id, QR, PDF): records the read and applies the holder's consent
/// setting. The optional purpose travels in the <c>CertLib-Purpose</c> header (percent-encoded UTF-8), never in the URL.
/// </summary>
public static class AccessRecorder
{
    public const string PurposeHeader = "CertLib-Purpose";

    public static async Task<CertStoreResult<Certificate>> RecordAsync(
        HttpContext context, CertStoreResult<Certificate> result, string action, CancellationToken cancellationToken)
    {
        if (!result.Succeeded)
        {
            return result;
        }

        var header = context.Request.Headers[PurposeHeader].ToString();
        var purpose = header.Length == 0 ? null : Uri.UnescapeDataString(header);
        var manager = context.RequestServices.GetRequiredService<OneNumberManager>();
        return await manager.RecordReadAsync(context.User.ToAccessCaller(), result.Value!, action, purpose, cancellationToken);
    }
}
