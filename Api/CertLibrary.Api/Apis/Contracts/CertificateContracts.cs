using System.Text.Json.Nodes;
using CertLibrary.CertStore.Certificates;
using CertLibrary.Identifiers;

namespace CertLibrary.Api.Apis.Contracts;

/// <summary>Body of <c>POST /api/v1/certificates</c> (SPEC §8): raw strings, parsed by <see cref="ToCommand"/>.</summary>
public sealed record IssueRequest
{
    public string? TypeCode { get; init; }

    public HolderInput? Holder { get; init; }

    public string? Number { get; init; }

    public DateTimeOffset? ValidFrom { get; init; }

    public DateTimeOffset? ValidUntil { get; init; }

    public JsonObject? Fields { get; init; }

    /// <summary>
    /// Parses the identifiers; the reasons of those that do not parse travel in <see cref="IssueCommand.InputErrors"/>,
    /// which the manager answers together with its own checks.
    /// </summary>
    public IssueCommand ToCommand(TimeProvider time)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CertificateTypeCode? type = null;
        if (CertificateTypeCode.TryParse(TypeCode, out var typeCode, out var typeError))
        {
            type = typeCode;
        }
        else
        {
            errors["typeCode"] = [typeError];
        }

        CitizenId? holder = null;
        if (Holder?.IdNumber is not { } idNumber)
        {
            errors["holder.idNumber"] = ["The holder's identity number is required."];
        }
        else if (CitizenId.TryParse(idNumber, time, out var parsed, out var idError))
        {
            holder = parsed;
        }
        else
        {
            errors["holder.idNumber"] = [idError];
        }

        return new IssueCommand
        {
            Type = type,
            Holder = holder,
            HolderName = Holder?.Name,
            Number = Number,
            ValidFrom = ValidFrom,
            ValidUntil = ValidUntil,
            Fields = Fields,
            InputErrors = errors,
        };
    }
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

    public NewVersionCommand ToCommand() => new()
    {
        Number = Number,
        HolderName = HolderName,
        ValidFrom = ValidFrom,
        ValidUntil = ValidUntil,
        Fields = Fields,
    };
}

/// <summary>Body of <c>POST /api/v1/certificates/batch</c>.</summary>
public sealed record BatchRequest(IReadOnlyList<IssueRequest?>? Items);

/// <summary>Body of suspend / reinstate / revoke: a reason code (<see cref="CertStore.Model.StatusReasonCodes"/>) and optional free text, sealed at rest.</summary>
public sealed record StatusChangeRequest(string? ReasonCode, string? Reason);
