using System.Text.Json.Nodes;
using CertLibrary.Signing;

namespace CertLibrary.CertStore;

/// <summary>Signs with the issuing department's active key of every suite (created on first use).</summary>
internal sealed class KeyManagerCertificateSigner(KeyManager keys) : ICertificateSigner
{
    public const string PayloadType = "certlib-cert+json";

    public async Task<JsonObject> SignAsync(string issuerCode, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var signers = await keys.GetSignersAsync(issuerCode, cancellationToken);
        return Jws.SignGeneral(payload.Span, signers, PayloadType);
    }
}
