using System.Text.Json.Serialization;

namespace CertLibrary.CertStore.Model;

/// <summary>A certificate type with its face-field schema and the departments that may issue and use it.</summary>
public sealed record CertificateType
{
    public required string Code { get; init; }

    public required string Name { get; init; }

    public string HolderKind { get; init; } = "citizen";

    public required IReadOnlyList<FieldDefinition> Fields { get; init; }

    public int? ValidityYears { get; init; }

    /// <summary><c>offline</c>, <c>online</c> or <c>both</c>.</summary>
    public string QrMode { get; init; } = "both";

    /// <summary>Suite of the format-1 offline QR (<c>CL1:</c>), which is no longer issued; kept so stored types read back unchanged.</summary>
    public string QrAlgorithm { get; init; } = "ES256";

    /// <summary>Suites that sign the offline QR (format 2, SPEC §5), in order: two make a COSE_Sign, one a COSE_Sign1.</summary>
    public IReadOnlyList<string> QrSuites { get; init; } = DefaultQrSuites;

    /// <summary>The default <see cref="QrSuites"/>: SM2 first, then ES256.</summary>
    public static IReadOnlyList<string> DefaultQrSuites { get; } = ["SM2", "ES256"];

    /// <summary>Department codes allowed to issue this type.</summary>
    public required IReadOnlyList<string> Issuers { get; init; }

    /// <summary>Department codes allowed to use (look up and read) this type.</summary>
    public required IReadOnlyList<string> Users { get; init; }
}

/// <summary>One face field of a certificate type.</summary>
/// <param name="Name">Field name as used in <c>fields</c>.</param>
/// <param name="Type"><c>string</c>, <c>date</c>, <c>number</c> or <c>boolean</c>.</param>
/// <param name="Required">Whether an issue without it is rejected.</param>
/// <param name="Sensitive">Whether it is left out of masked views (QR, verification answers).</param>
/// <param name="Label">Printed label (Chinese) on the paper copy; defaults to the name.</param>
public sealed record FieldDefinition(
    string Name,
    string Type,
    bool Required,
    bool Sensitive = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Label = null)
{
    /// <summary>The field types SPEC §3 allows.</summary>
    public static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal) { "string", "date", "number", "boolean" };
}
