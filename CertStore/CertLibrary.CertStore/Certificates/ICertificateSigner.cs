using System.Text.Json.Nodes;

namespace CertLibrary.CertStore.Certificates;

/// <summary>Signs certificate payloads with every suite of the issuing department (SPEC §4).</summary>
public interface ICertificateSigner
{
    /// <summary>
    /// Loads (or creates) the department's active keys. Called before the write transaction opens, so signing
    /// inside it does no I/O (SQLite allows one writer; key creation must not wait on the issue transaction).
    /// </summary>
    Task<IIssuerSigner> ForIssuerAsync(string issuerCode, CancellationToken cancellationToken);
}

/// <summary>A department's loaded signers.</summary>
public interface IIssuerSigner
{
    /// <summary>Returns the JWS JSON General Serialization over <paramref name="payload"/> with one signature per suite.</summary>
    JsonObject Sign(ReadOnlySpan<byte> payload);
}
