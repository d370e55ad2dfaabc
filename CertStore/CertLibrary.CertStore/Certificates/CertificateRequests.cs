using System.Text.Json.Nodes;
using CertLibrary.CertStore.Model;

namespace CertLibrary.CertStore.Certificates;

/// <summary>Body of <c>POST /api/v1/certificates</c> (SPEC §8). Raw strings: validated by the manager.</summary>
public sealed record IssueRequest
{
    public string? TypeCode { get; init; }

    public HolderInput? Holder { get; init; }

    public string? Number { get; init; }

    public DateTimeOffset? ValidFrom { get; init; }

    public DateTimeOffset? ValidUntil { get; init; }

    public JsonObject? Fields { get; init; }
}

/// <summary>The holder as sent by an issuer.</summary>
public sealed record HolderInput(string? IdNumber, string? Name);

/// <summary>Body of <c>POST /api/v1/certificates/{id}/versions</c>: the new face; type, issuer, serial and holder carry over.</summary>
public sealed record NewVersionRequest
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
public sealed record BatchItemResult(int Index, Model.Certificate? Certificate, CertStoreError? Error);
