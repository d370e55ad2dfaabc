namespace CertLibrary.CertStore.Stores;

/// <summary>
/// A certificate row: clear metadata for queries, the signed document sealed (AES-GCM) because it holds
/// the holder's identity number and name.
/// </summary>
public sealed record StoredCertificate
{
    public required string Id { get; init; }

    public required string HolderKey { get; init; }

    public required string TypeCode { get; init; }

    public required string IssuerCode { get; init; }

    public required int Version { get; init; }

    public required string Status { get; init; }

    public string? StatusReason { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    public required DateTimeOffset ValidFrom { get; init; }

    public DateTimeOffset? ValidUntil { get; init; }

    public string? Supersedes { get; init; }

    public string? SupersededBy { get; init; }

    public required string StatusListId { get; init; }

    public required int StatusIndex { get; init; }

    public required long LogIndex { get; init; }

    /// <summary>Sealed JWS JSON document (AES-GCM, associated data = id).</summary>
    public required byte[] SealedDocument { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }
}
