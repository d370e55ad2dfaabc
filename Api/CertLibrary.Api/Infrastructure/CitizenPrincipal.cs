using System.Security.Claims;
using CertLibrary.Identifiers;
using CertLibrary.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// Maps a user access token to the citizen it was issued for: <c>sub</c> is the citizen's opaque subject
/// (never the identity number). Department tokens (with a <c>department</c> claim) are never citizens.
/// </summary>
public static class CitizenPrincipal
{
    public static async Task<CitizenId?> ResolveAsync(ClaimsPrincipal user, CitizenManager citizens, CancellationToken cancellationToken)
    {
        if (user.FindFirst("department") is not null || user.FindFirst("sub")?.Value is not { Length: > 0 } subject)
        {
            return null;
        }

        return await citizens.GetCitizenIdAsync(subject, cancellationToken);
    }

    public static ProblemHttpResult NotACitizen() => Problems.Create(StatusCodes.Status403Forbidden, "not-a-citizen", "This is not permitted.",
        "These endpoints are for a signed-in citizen; the token does not belong to one.");
}
