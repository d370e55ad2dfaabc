using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CertLibrary.CertStore.Model;

/// <summary>
/// The signed content of a certificate (SPEC §3/§4): the certificate without <c>status</c>,
/// <c>statusReason</c> and <c>signature</c>. Serialised once at issue; the exact bytes are kept in the JWS.
/// </summary>
public sealed record CertificatePayload
{
    public required string Id { get; init; }

    public required string TypeCode { get; init; }

    public required PartyRef Issuer { get; init; }

    public required HolderRef Holder { get; init; }

    public required string Number { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    public required DateTimeOffset ValidFrom { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? ValidUntil { get; init; }

    public required JsonObject Fields { get; init; }

    public required int Version { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Supersedes { get; init; }

    public required StatusListRef StatusList { get; init; }

    public required long LogIndex { get; init; }
}

/// <summary>The issuing department as printed on a certificate.</summary>
public sealed record PartyRef(string Code, string Name);

/// <summary>The holder: normalised identity number and name (personal data; sealed at rest).</summary>
public sealed record HolderRef(string IdNumber, string Name);

/// <summary>Where a certificate's status bit lives (W3C Bitstring Status List).</summary>
public sealed record StatusListRef(string ListId, int Index);

/// <summary>A certificate as the API returns it: payload, live status and the JWS over the payload.</summary>
public sealed record Certificate
{
    public required CertificatePayload Payload { get; init; }

    /// <summary><c>valid</c>, <c>suspended</c>, <c>revoked</c> or <c>expired</c> (derived).</summary>
    public required string Status { get; init; }

    /// <summary>The public reason code of the status (<see cref="StatusReasonCodes"/>), or null while valid.</summary>
    public string? StatusReasonCode { get; init; }

    /// <summary>
    /// The free text given with the status change; only in reads by the issuing department, the holder or an
    /// administrator, else null.
    /// </summary>
    public string? StatusReason { get; init; }

    /// <summary>JWS JSON General Serialization with the SM2 and ES256 signatures over the payload.</summary>
    public required JsonObject Signature { get; init; }

    /// <summary>Id of the version that replaced this one, if any.</summary>
    public string? SupersededBy { get; init; }

    /// <summary>Holder key (keyed hash of the identity number); used for cache and access-log keys.</summary>
    public required string HolderKey { get; init; }
}
