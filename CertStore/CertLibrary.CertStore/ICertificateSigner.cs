using System.Text.Json.Nodes;

namespace CertLibrary.CertStore;

/// <summary>Signs certificate payloads with every suite of the issuing department (SPEC §4).</summary>
public interface ICertificateSigner
{
    /// <summary>Returns the JWS JSON General Serialization over <paramref name="payload"/> with one signature per suite.</summary>
    Task<JsonObject> SignAsync(string issuerCode, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}
