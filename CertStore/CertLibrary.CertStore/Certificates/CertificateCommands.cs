using System.Text.Json.Nodes;
using CertLibrary.CertStore.Model;
using CertLibrary.Identifiers;

namespace CertLibrary.CertStore.Certificates;

/// <summary>
/// One certificate to issue, its identifiers parsed by the API. An identifier that did not parse is null and its
/// reason is in <see cref="InputErrors"/> (keyed as in the body, e.g. <c>holder.idNumber</c>); the manager answers them
/// together with its own checks (type exists, may issue, fields, validity) as one problem, in that order.
/// </summary>
public sealed record IssueCommand
{
    /// <summary>The certificate type; null when the body's <c>typeCode</c> did not parse.</summary>
    public CertificateTypeCode? Type { get; init; }

    /// <summary>
    /// The holder (a citizen or, for a type with <c>holderKind: organization</c>, an organisation); null when the body's
    /// <c>holder.idNumber</c> / <c>holder.creditCode</c> was missing or did not parse.
    /// </summary>
    public HolderId? Holder { get; init; }

    public string? HolderName { get; init; }

    public string? Number { get; init; }

    public DateTimeOffset? ValidFrom { get; init; }

    public DateTimeOffset? ValidUntil { get; init; }

    public JsonObject? Fields { get; init; }

    /// <summary>Why identifiers of the body did not parse, keyed by their JSON path.</summary>
    public IReadOnlyDictionary<string, string[]> InputErrors { get; init; } = CommandErrors.None;
}

/// <summary>A new version of a certificate: the new face; type, issuer, serial and holder carry over.</summary>
public sealed record NewVersionCommand
{
    public string? Number { get; init; }

    public string? HolderName { get; init; }

    public DateTimeOffset? ValidFrom { get; init; }

    public DateTimeOffset? ValidUntil { get; init; }

    public JsonObject? Fields { get; init; }
}

/// <summary>Status changes (SPEC §8).</summary>
public enum StatusAction
{
    Suspend,
    Reinstate,
    Revoke,
}

/// <summary>One item of a batch answer: the certificate, or why this item was refused.</summary>
public sealed record BatchItemResult(int Index, Certificate? Certificate, CertStoreError? Error);
