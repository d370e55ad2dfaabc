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

/// <summary>
/// The holder as signed: a citizen's normalised identity number and name (personal data; sealed at rest), or an
/// organisation's credit code and name (<c>{"creditCode", "name"}</c>, a public registration). A citizen's payload
/// serialises exactly as before organisations existed.
/// </summary>
/// <param name="IdNumber">The citizen's identity number; null for an organisation.</param>
/// <param name="Name">The holder's name.</param>
public sealed record HolderRef(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? IdNumber,
    string Name)
{
    /// <summary>The organisation's unified social credit code; null for a citizen. Written first, where a citizen's number is.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonPropertyOrder(-1)]
    public string? CreditCode { get; init; }

    /// <summary><see cref="HolderKinds.Organization"/> when a credit code names the holder, else <see cref="HolderKinds.Citizen"/>.</summary>
    [JsonIgnore]
    public string Kind => CreditCode is null ? HolderKinds.Citizen : HolderKinds.Organization;

    /// <summary>An organisation holder.</summary>
    public static HolderRef ForOrganization(string creditCode, string name) => new(null, name) { CreditCode = creditCode };
}

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

    /// <summary>Holder key (keyed hash of kind + number or code); used for cache and access-log keys.</summary>
    public required string HolderKey { get; init; }
}
