using System.Text.Json.Nodes;
using CertLibrary.Signing;

namespace CertLibrary.CertStore.Certificates;

/// <summary>Signs with the issuing department's active key of every suite (created on first use).</summary>
internal sealed class KeyManagerCertificateSigner(KeyManager keys) : ICertificateSigner
{
    public const string PayloadType = "certlib-cert+json";

    public async Task<IIssuerSigner> ForIssuerAsync(string issuerCode, CancellationToken cancellationToken) =>
        new IssuerSigner(await keys.GetSignersAsync(issuerCode, cancellationToken));

    private sealed class IssuerSigner(IReadOnlyList<JwsSigner> signers) : IIssuerSigner
    {
        public JsonObject Sign(ReadOnlySpan<byte> payload) => Jws.SignGeneral(payload, signers, PayloadType);
    }
}
