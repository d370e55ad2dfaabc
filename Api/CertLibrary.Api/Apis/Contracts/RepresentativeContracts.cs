using CertLibrary.CertStore.Representatives;
using CertLibrary.Identifiers;

namespace CertLibrary.Api.Apis.Contracts;

/// <summary>
/// Body of <c>POST /api/v1/organizations/{creditCode}/representatives</c>: the citizen (identity number, in the body,
/// never the URL), the role, and the organisation's name when it holds no certificate here yet.
/// </summary>
public sealed record RepresentativeRequest(string? IdNumber, string? Role, string? OrganizationName)
{
    public LinkRepresentativeCommand ToCommand(string creditCode, TimeProvider time)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CreditCode? organization = null;
        if (CreditCode.TryParse(creditCode, out var code, out var codeError))
        {
            organization = code;
        }
        else
        {
            errors["creditCode"] = [codeError];
        }

        CitizenId? citizen = null;
        if (IdNumber is null)
        {
            errors["idNumber"] = ["The representative's identity number is required."];
        }
        else if (CitizenId.TryParse(IdNumber, time, out var parsed, out var idError))
        {
            citizen = parsed;
        }
        else
        {
            errors["idNumber"] = [idError];
        }

        return new LinkRepresentativeCommand(organization, citizen, Role, OrganizationName) { InputErrors = errors };
    }
}

/// <summary>Body of <c>POST /api/v1/organizations/{creditCode}/representatives/remove</c>.</summary>
public sealed record RepresentativeRemoval(string? IdNumber);
