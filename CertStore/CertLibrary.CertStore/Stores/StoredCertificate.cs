namespace CertLibrary.CertStore.Stores;

/// <summary>
/// A certificate row: clear metadata for queries, the signed document sealed (AES-GCM) because it holds
/// the holder's identity number and name.
/// </summary>
public sealed record StoredCertificate
{
    public required string Id { get; init; }

    public required string HolderKey { get; init; }

    /// <summary><see cref="Model.HolderKinds.Citizen"/> or <see cref="Model.HolderKinds.Organization"/> (rows from before organisations: citizen).</summary>
    public string HolderKind { get; init; } = Model.HolderKinds.Citizen;

    public required string TypeCode { get; init; }

    public required string IssuerCode { get; init; }

    public required int Version { get; init; }

    public required string Status { get; init; }

    /// <summary>
    /// Free-text reason in clear, as written before reason codes existed; <see cref="LegacyStatusReasonSealer"/> seals it
    /// into <see cref="SealedStatusReason"/> at start-up. New writes leave it null.
    /// </summary>
    public string? StatusReason { get; init; }

    /// <summary>The public reason code of the current status (<see cref="Model.StatusReasonCodes"/>), or null.</summary>
    public string? StatusReasonCode { get; init; }

    /// <summary>The free-text reason sealed (AES-GCM, associated data = <see cref="ReasonAssociatedData"/>), or null.</summary>
    public byte[]? SealedStatusReason { get; init; }

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

    /// <summary>The associated data that binds a sealed reason to certificate <paramref name="id"/>.</summary>
    public static string ReasonAssociatedData(string id) => id + "#statusReason";

    /// <summary>
    /// The reason code to show: the stored one, or for a row changed before reason codes existed, <c>superseded</c> when
    /// it has a successor and <c>other</c> when it has a reason.
    /// </summary>
    public string? PublicReasonCode() =>
        StatusReasonCode ?? (StatusReason is null ? null : SupersededBy is not null ? Model.StatusReasonCodes.Superseded : Model.StatusReasonCodes.Other);
}
