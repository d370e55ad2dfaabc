using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OnlineVerification;
using CertLibrary.CertStore.Stores;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using CertLibrary.Verification;
using QRCoder;

namespace CertLibrary.Api.Apis;

/// <summary>QR codes of a certificate (SPEC §5): offline (signed, masked) or online (short expiring URL).</summary>
public static class QrApi
{
    /// <summary>Lifetime of an offline QR of a certificate without <c>validUntil</c> (the paper copy must then be renewed).</summary>
    public static readonly TimeSpan OpenEndedQrLifetime = TimeSpan.FromDays(5 * 365);

    public static RouteGroupBuilder MapQrApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/certificates").WithTags("Certificates").RequireAuthorization(Policies.Read);
        group.MapGet("/{id}/qr", GetQrAsync).WithName("GetCertificateQr")
            .WithSummary("The QR code of a certificate")
            .WithDescription("form=offline (format 2: CL2: + base45(zlib(COSE)), signed by the type's qrSuites, masked) or online ({baseUrl}/v/{token}, expires in 10 minutes, bound to purpose), as allowed by the type's qrMode. PNG by default, SVG for Accept: image/svg+xml, the QR text for Accept: text/plain. Error correction Q.");
        return group;
    }

    /// <summary>Creates the QR text of a certificate the caller may see.</summary>
    internal static async Task<(string? Text, IResult? Problem)> CreateTextAsync(
        Certificate certificate, string? form, string? purpose, QrServices services, CancellationToken cancellationToken)
    {
        var type = (await services.Store.FindTypeAsync(certificate.Payload.TypeCode, cancellationToken))!;
        form ??= type.QrMode == "online" ? "online" : "offline";
        if (form is not ("offline" or "online"))
        {
            return (null, Problems.Validation("form", "form is 'offline' or 'online'."));
        }

        if (type.QrMode != "both" && type.QrMode != form)
        {
            return (null, Problems.Create(StatusCodes.Status409Conflict, "qr-mode", "The request conflicts with the current state.", $"Type {type.Code} allows only {type.QrMode} QR codes."));
        }

        if (form == "online")
        {
            purpose = string.IsNullOrWhiteSpace(purpose) ? "核验" : purpose.Trim();
            if (purpose.Length > 100)
            {
                return (null, Problems.Validation("purpose", "At most 100 characters."));
            }

            var (token, _) = await services.Tokens.CreateAsync(certificate.Payload.Id, purpose, VerificationTokenStore.DefaultLifetime, cancellationToken);
            return ($"{services.Settings.Issuer}/v/{token}", null);
        }

        // Format 2 (SPEC §5), signed by the type's suites in order; the scrypt holder binding is made once per certificate.
        // An organisation is a public registration: its name goes unmasked, with its credit code, and there is no binding.
        var all = await services.Keys.GetSignersAsync(certificate.Payload.Issuer.Code, cancellationToken);
        var signers = type.QrSuites.Select(suite => all.First(s => s.Algorithm == suite)).ToList();
        var payload = certificate.Payload;
        var now = services.Time.GetUtcNow();
        var claims = new QrClaims(payload.Id, payload.TypeCode, payload.Issuer.Code, payload.Holder.Name, payload.ValidFrom,
            payload.ValidUntil ?? now + OpenEndedQrLifetime, payload.StatusList.ListId, payload.StatusList.Index)
        {
            HolderCreditCode = payload.Holder.CreditCode,
        };
        if (payload.Holder.IdNumber is not { } idNumber)
        {
            return (CoseQr.Create(claims, [], [], signers), null);
        }

        var (salt, binding) = await services.Bindings.GetOrCreateAsync(payload.Id, () => HolderBindingKdf.Create(idNumber), cancellationToken);
        return (CoseQr.Create(claims, salt, binding, signers), null);
    }

    /// <summary>The QR symbol at error correction level Q.</summary>
    internal static QRCodeData Encode(string text)
    {
        using var generator = new QRCodeGenerator();
        return generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.Q);
    }

    private static async Task<IResult> GetQrAsync(
        string id, string? form, string? purpose, HttpContext context, CertificateManager manager, [AsParameters] QrServices services, CancellationToken cancellationToken)
    {
        var read = await manager.GetAsync(context.User.ToCaller(), id, cancellationToken);
        read = await AccessRecorder.RecordAsync(context, read, CertStore.OneNumber.AccessActions.Qr, cancellationToken);
        if (!read.Succeeded)
        {
            return Problems.From(read.Error!);
        }

        return await RenderAsync(context, read.Value!, form, purpose, services, cancellationToken);
    }

    /// <summary>
    /// The QR of <paramref name="certificate"/> in the form asked for, negotiated by <c>Accept</c>: the text for
    /// <c>text/plain</c>, SVG for <c>image/svg+xml</c>, PNG otherwise (with its QR version in <c>X-Qr-Version</c>).
    /// </summary>
    internal static async Task<IResult> RenderAsync(
        HttpContext context, Certificate certificate, string? form, string? purpose, QrServices services, CancellationToken cancellationToken)
    {
        var (text, problem) = await CreateTextAsync(certificate, form, purpose, services, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        context.Response.Headers.CacheControl = "no-store";
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("text/plain", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Text(text, "text/plain; charset=utf-8");
        }

        using var data = Encode(text!);
        context.Response.Headers["X-Qr-Version"] = data.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (accept.Contains("image/svg+xml", StringComparison.OrdinalIgnoreCase))
        {
            using var svg = new SvgQRCode(data);
            return TypedResults.Text(svg.GetGraphic(8), "image/svg+xml");
        }

        using var png = new PngByteQRCode(data);
        return TypedResults.File(png.GetGraphic(8), "image/png");
    }

    /// <summary>What creating a QR needs (handlers take it with <c>[AsParameters]</c>).</summary>
    public sealed record QrServices(ICertificateStore Store, VerificationTokenStore Tokens, KeyManager Keys, QrHolderBindingStore Bindings, CertLibrarySettings Settings, TimeProvider Time);
}
