using System.Text.Json.Nodes;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
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

        var holder = Holder.ToHolder(time, "holder.", errors);

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

/// <summary>The holder as sent by an issuer: <c>{idNumber, name}</c> for a citizen, <c>{creditCode, name}</c> for an organisation.</summary>
public sealed record HolderInput(string? IdNumber, string? Name, string? CreditCode = null);

/// <summary>Parses the holder of a body: an identity number (GB 11643) or a credit code (GB 32100), exactly one.</summary>
internal static class HolderParsing
{
    /// <summary>
    /// The parsed holder, or null with the reason under <paramref name="prefix"/> + <c>idNumber</c> / <c>creditCode</c>
    /// in <paramref name="errors"/>.
    /// </summary>
    public static HolderId? ToHolder(this HolderInput? input, TimeProvider time, string prefix, Dictionary<string, string[]> errors) =>
        Parse(input?.IdNumber, input?.CreditCode, time, prefix, errors);

    /// <inheritdoc cref="ToHolder"/>
    public static HolderId? Parse(string? idNumber, string? creditCode, TimeProvider time, string prefix, Dictionary<string, string[]> errors)
    {
        if (idNumber is not null && creditCode is not null)
        {
            errors[prefix + "creditCode"] = ["Give either idNumber (a citizen) or creditCode (an organisation), not both."];
            return null;
        }

        if (creditCode is not null)
        {
            if (CreditCode.TryParse(creditCode, out var code, out var codeError))
            {
                return HolderId.ForOrganization(code);
            }

            errors[prefix + "creditCode"] = [codeError];
            return null;
        }

        if (idNumber is null)
        {
            errors[prefix + "idNumber"] = ["The holder's identity number (idNumber) or, for an organisation, credit code (creditCode) is required."];
            return null;
        }

        if (CitizenId.TryParse(idNumber, time, out var parsed, out var idError))
        {
            return parsed;
        }

        errors[prefix + "idNumber"] = [idError];
        return null;
    }
}

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
