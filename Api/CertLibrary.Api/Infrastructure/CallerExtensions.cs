using System.Security.Claims;
using CertLibrary.CertStore.Model;

namespace CertLibrary.Api.Infrastructure;

/// <summary>Reads the calling client, its department and scopes from a validated access token.</summary>
public static class CallerExtensions
{
    public const string AdminScope = "certlib.admin";
    public const string IssueScope = "certlib.issue";
    public const string UseScope = "certlib.use";
    public const string VerifyScope = "certlib.verify";

    public static bool HasScope(this ClaimsPrincipal user, string scope) =>
        user.FindAll("scope").SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Contains(scope, StringComparer.Ordinal);

    public static Caller ToCaller(this ClaimsPrincipal user) => new(
        user.FindFirst("client_id")?.Value ?? user.FindFirst("sub")?.Value ?? "",
        user.FindFirst("department")?.Value,
        user.HasScope(AdminScope));
}
