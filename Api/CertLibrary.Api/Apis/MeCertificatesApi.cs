using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Stores;
using CertLibrary.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Apis;

/// <summary>
/// What the citizen portal needs beyond <see cref="MeApi"/>: the QR of one of my certificates (SPEC §5), and the names of
/// departments and certificate types to read my certificates and to choose whom a consent is for.
/// </summary>
public static class MeCertificatesApi
{
    public static RouteGroupBuilder MapMeCertificatesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/me").WithTags("Citizen").RequireAuthorization();
        group.MapGet("/certificates/{id}/qr", GetQrAsync).WithName("MyCertificateQr").RequireAuthorization(Policies.MeRead)
            .WithSummary("The QR code of one of my certificates")
            .WithDescription("form=offline (format 2: CL2: + base45(zlib(COSE)), masked name, scrypt holder binding) or online ({baseUrl}/v/{token}, expires in 10 minutes, bound to purpose, 1–100 characters), as the type's qrMode allows. PNG by default, SVG for Accept: image/svg+xml, the QR text for Accept: text/plain. 404 for a certificate that is not mine.");
        group.MapGet("/directory", DirectoryAsync).WithName("MyDirectory").RequireAuthorization(Policies.MeRead)
            .WithSummary("Departments and certificate types")
            .WithDescription("Code and name of every department and certificate type (with its qrMode): what a citizen chooses from when granting a consent, and the names of the types of my certificates.");
        return group;
    }

    private static async Task<IResult> GetQrAsync(
        string id, string? form, string? purpose, HttpContext context, CitizenManager citizens, CertificateManager certificates,
        [AsParameters] QrApi.QrServices qr, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is not { } me)
        {
            return CitizenPrincipal.NotACitizen();
        }

        // Only through the holder index: a certificate of somebody else is indistinguishable from one that does not exist.
        var mine = (await certificates.ListByHolderAsync(me, reader: null, cancellationToken)).FirstOrDefault(c => string.Equals(c.Payload.Id, id, StringComparison.Ordinal));
        if (mine is null)
        {
            return Problems.Create(StatusCodes.Status404NotFound, "not-found", "Not found.", "You hold no certificate with this id.");
        }

        return await QrApi.RenderAsync(context, mine, form, purpose, qr, cancellationToken);
    }

    private static async Task<Results<Ok<DirectoryDto>, ProblemHttpResult>> DirectoryAsync(
        HttpContext context, CitizenManager citizens, ICertificateStore store, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is null)
        {
            return CitizenPrincipal.NotACitizen();
        }

        var departments = await store.ListDepartmentsAsync(cancellationToken);
        var types = await store.ListTypesAsync(cancellationToken);
        return TypedResults.Ok(new DirectoryDto(
            [.. departments.OrderBy(d => d.Code, StringComparer.Ordinal).Select(d => new DepartmentRef(d.Code, d.Name))],
            [.. types.OrderBy(t => t.Code, StringComparer.Ordinal).Select(t => new TypeRef(t.Code, t.Name, t.QrMode))]));
    }

    /// <summary>Answer of <c>GET /api/v1/me/directory</c>.</summary>
    public sealed record DirectoryDto(IReadOnlyList<DepartmentRef> Departments, IReadOnlyList<TypeRef> CertificateTypes);

    /// <summary>A certificate type as shown to a citizen.</summary>
    public sealed record TypeRef(string Code, string Name, string QrMode);
}
