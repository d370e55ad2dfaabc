using CertLibrary.Api.Infrastructure;
using CertLibrary.Api.Pdf;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OnlineVerification;
using CertLibrary.Identity;

namespace CertLibrary.Api.Apis;

/// <summary>Printable certificates (SPEC §8 <c>/pdf</c>): for departments that may read the certificate, and for its holder.</summary>
public static partial class CertificatePdfApi
{
    /// <summary>Registers <see cref="CertificatePdfRenderer"/> with <c>CERTLIB_PDF_FONT</c> and <c>CERTLIB_PDF_LATIN_FONT</c>.</summary>
    public static IServiceCollection AddCertificatePdf(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CertificatePdfOptions>().Configure(o =>
        {
            o.FontPath = configuration["CERTLIB_PDF_FONT"];
            o.LatinFontPath = configuration["CERTLIB_PDF_LATIN_FONT"];
        });
        services.AddSingleton<CertificatePdfRenderer>();
        return services;
    }

    public static IEndpointRouteBuilder MapCertificatePdfApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/certificates/{id}/pdf", GetAsync).WithName("GetCertificatePdf").WithTags("Certificates")
            .RequireAuthorization(Policies.Read)
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf").ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Printable certificate (PDF)")
            .WithDescription("One A4 page: type name, face fields, holder (identity number masked), number, identifier, issuer, dates, status and the QR of the type's qrMode. Same visibility as GET by id; recorded in the holder's access log (purpose in the CertLib-Purpose header).");
        app.MapGet("/api/v1/me/certificates/{id}/pdf", GetMineAsync).WithName("MyCertificatePdf").WithTags("Citizen")
            .RequireAuthorization(Policies.MeRead)
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf").ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Printable copy of one of my certificates (PDF)")
            .WithDescription("The signed-in citizen's own certificates only; 404 for any other.");
        return app;
    }

    private static async Task<IResult> GetAsync(
        string id, HttpContext context, CertificateManager manager, [AsParameters] QrApi.QrServices qr, CertificatePdfRenderer renderer, ILoggerFactory logs,
        CancellationToken cancellationToken)
    {
        var read = await manager.GetAsync(context.User.ToCaller(), id, cancellationToken);
        read = await AccessRecorder.RecordAsync(context, read, CertStore.OneNumber.AccessActions.Pdf, cancellationToken);
        return read.Succeeded ? await RenderAsync(read.Value!, context, qr, renderer, logs, cancellationToken) : Problems.From(read.Error!);
    }

    private static async Task<IResult> GetMineAsync(
        string id, HttpContext context, CitizenManager citizens, CertificateManager manager, [AsParameters] QrApi.QrServices qr, CertificatePdfRenderer renderer,
        ILoggerFactory logs, CancellationToken cancellationToken)
    {
        if (await CitizenPrincipal.ResolveAsync(context.User, citizens, cancellationToken) is not { } me)
        {
            return CitizenPrincipal.NotACitizen();
        }

        var certificate = (await manager.ListByHolderAsync(me, reader: null, cancellationToken)).FirstOrDefault(c => string.Equals(c.Payload.Id, id, StringComparison.Ordinal));
        return certificate is null
            ? Problems.From(CertStoreError.NotFound("Certificate"))
            : await RenderAsync(certificate, context, qr, renderer, logs, cancellationToken);
    }

    private static async Task<IResult> RenderAsync(
        Certificate certificate, HttpContext context, QrApi.QrServices qr, CertificatePdfRenderer renderer, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var (text, problem) = await QrApi.CreateTextAsync(certificate, null, null, qr, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        DateTimeOffset? expires = text!.StartsWith(OfflineQrPrefix, StringComparison.Ordinal)
            ? null
            : qr.Time.GetUtcNow() + VerificationTokenStore.DefaultLifetime;
        byte[] pdf;
        try
        {
            pdf = await renderer.RenderAsync(certificate, text, expires, cancellationToken);
        }
        catch (PdfUnavailableException e)
        {
            LogUnavailable(logs.CreateLogger(typeof(CertificatePdfApi)), e.Message);
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "pdf-unavailable", "Printable certificates are not available.", e.Message);
        }

        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.File(pdf, "application/pdf", SafeFileName(certificate.Payload.Id) + ".pdf");
    }

    private const string OfflineQrPrefix = Verification.CoseQr.Prefix;

    private static string SafeFileName(string id) => new([.. id.Select(c => char.IsAsciiLetterOrDigit(c) || c == '.' ? c : '_')]);

    [LoggerMessage(Level = LogLevel.Error, Message = "Printable certificate refused: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
