using CertLibrary.Identifiers;

namespace CertLibrary.CertStore.Model;

/// <summary>The two kinds of holder a certificate type names (SPEC §3 <c>holderKind</c>).</summary>
public static class HolderKinds
{
    /// <summary>A citizen, named by identity number (GB 11643; national holder-code type <c>111</c>).</summary>
    public const string Citizen = "citizen";

    /// <summary>An organisation, named by unified social credit code (GB 32100; national holder-code type <c>001</c>).</summary>
    public const string Organization = "organization";

    /// <summary>Whether <paramref name="kind"/> is one of the two kinds.</summary>
    public static bool IsKnown(string? kind) => kind is Citizen or Organization;

    /// <summary>The national platform's holder-code type: <c>111</c> for a citizen, <c>001</c> for an organisation.</summary>
    public static string NationalCodeType(string kind) => kind == Organization ? "001" : "111";
}

/// <summary>
/// A holder: a citizen's identity number or an organisation's credit code, already parsed. A citizen converts implicitly,
/// so code written for citizens only keeps working.
/// </summary>
public readonly record struct HolderId
{
    private HolderId(string kind, CitizenId? citizen, CreditCode? organization)
    {
        Kind = kind;
        Citizen = citizen;
        Organization = organization;
    }

    /// <summary><see cref="HolderKinds.Citizen"/> or <see cref="HolderKinds.Organization"/>.</summary>
    public string Kind { get; }

    /// <summary>The identity number of a citizen holder, else null.</summary>
    public CitizenId? Citizen { get; }

    /// <summary>The credit code of an organisation holder, else null.</summary>
    public CreditCode? Organization { get; }

    /// <summary>Whether the holder is an organisation.</summary>
    public bool IsOrganization => Kind == HolderKinds.Organization;

    public static HolderId ForCitizen(CitizenId id) => new(HolderKinds.Citizen, id, null);

    public static HolderId ForOrganization(CreditCode code) => new(HolderKinds.Organization, null, code);

    public static implicit operator HolderId(CitizenId id) => ForCitizen(id);

    /// <summary>The normalised number or code (personal data for a citizen: never log it).</summary>
    public override string ToString() => Organization?.ToString() ?? Citizen?.ToString() ?? "";
}

/// <summary>The holder index key of either kind of holder.</summary>
public static class HolderKeys
{
    /// <summary>The keyed hash (HMAC) under which <paramref name="holder"/>'s rows are stored.</summary>
    public static string HolderKey(this CertLibrary.Data.PersonalDataProtector protector, HolderId holder) =>
        holder.Organization is { } code ? protector.HolderKey(code) : protector.HolderKey(holder.Citizen!.Value);
}
