using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.OnlineVerification;
using CertLibrary.CertStore.Stores;
using CertLibrary.Verification;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;

namespace CertLibrary.Api.Apis;

/// <summary>Public verification (SPEC §5): <c>POST /api/v1/verify</c> and the page <c>/v/{token}</c>. Rate limited per client address.</summary>
public static class VerifyApi
{
    public const string RateLimitPolicy = "verify";

    /// <summary>Largest body accepted; larger bodies are answered <c>invalid</c> without being parsed.</summary>
    public const int MaxBody = 64 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Requests per minute per client address when <c>CERTLIB_VERIFY_PER_MINUTE</c> is not set.</summary>
    public const int DefaultPerMinute = 300;

    /// <summary>Adds the verification services and the rate limiter (<c>CERTLIB_VERIFY_PER_MINUTE</c>, default 300, per client address).</summary>
    public static IServiceCollection AddVerificationApi(this IServiceCollection services)
    {
        services.AddCertLibraryVerification();
        services.AddRateLimiter(o => o.RejectionStatusCode = StatusCodes.Status429TooManyRequests);
        services.AddOptions<RateLimiterOptions>().Configure<IConfiguration>((o, configuration) =>
        {
            var perMinute = PerMinute(configuration);
            o.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "local",
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = perMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
        });
        return services;
    }

    public static WebApplication MapVerifyApi(this WebApplication app)
    {
        app.UseRateLimiter();
        app.MapPost("/api/v1/verify", VerifyAsync).WithName("Verify").WithTags("Verification").AllowAnonymous()
            .RequireRateLimiting(RateLimitPolicy)
            .WithSummary("Verify a QR code or a certificate signature")
            .WithDescription("Body {\"qr\": \"CL2:…\" (format 2; CL1:… still read) | \"https://…/v/{token}\", \"idNumber\"?: holder's identity number} or {\"jws\": compact | JWS JSON}. Answers {result: valid|invalid|revoked|suspended|expired|unknown-issuer, reasons, certificate (masked), checkedAt, holderBinding: match|mismatch when idNumber was given}; hostile input is 'invalid' with a reason. Body ≤ 64 KiB.");
        app.MapGet("/v/{token}", VerifyPageAsync).WithName("VerifyPage").WithTags("Verification").AllowAnonymous()
            .RequireRateLimiting(RateLimitPolicy).ExcludeFromDescription()
            .WithSummary("Verifier page of an online QR").WithDescription("Server-rendered page (Chinese) with the live result.");
        return app;
    }

    private static async Task<IResult> VerifyAsync(HttpContext context, [AsParameters] VerifyServices services, CancellationToken cancellationToken)
    {
        var now = services.Time.GetUtcNow();
        var body = await ReadCappedAsync(context, cancellationToken);
        VerifyAnswer answer;
        if (body is null)
        {
            answer = Answer(Fail(now, "input too large"));
        }
        else
        {
            answer = await VerifyBodyAsync(body, services, now, cancellationToken);
        }

        return TypedResults.Json(answer, Json);
    }

    private static async Task<VerifyAnswer> VerifyBodyAsync(byte[] body, VerifyServices services, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var live = services.Live;
        if (TryReadQrOnly(body) is { } qrOnly)
        {
            return await VerifyQrTextAsync(qrOnly, null, live, services, now, cancellationToken);
        }

        if (Infrastructure.JsonBody.Check(body, 20) is { } bad)
        {
            return Answer(Fail(now, bad.Message));
        }

        JsonObject request;
        try
        {
            if (JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 20 }) is not JsonObject parsed)
            {
                return Answer(Fail(now, "body must be a JSON object"));
            }

            request = parsed;
        }
        catch (JsonException)
        {
            return Answer(Fail(now, "malformed JSON (or nested too deeply)"));
        }

        if (request["qr"] is JsonValue qrValue && qrValue.GetValueKind() == JsonValueKind.String)
        {
            if (request["idNumber"] is { } idNode && (idNode is not JsonValue idValue || idValue.GetValueKind() != JsonValueKind.String))
            {
                return Answer(Fail(now, "idNumber must be a string"));
            }

            return await VerifyQrTextAsync(qrValue.GetValue<string>(), request["idNumber"]?.GetValue<string>(), live, services, now, cancellationToken);
        }

        var verifier = await live.CreateVerifierAsync(null, cancellationToken);
        return request["jws"] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => Answer(await verifier.VerifyJwsTextAsync(v.GetValue<string>(), now, cancellationToken)),
            JsonObject o => Answer(await verifier.VerifyCertificateJwsAsync(o, now, cancellationToken)),
            _ => Answer(Fail(now, "expected {\"qr\": string} or {\"jws\": string | object}")),
        };
    }

    private static async Task<VerifyAnswer> VerifyQrTextAsync(string text, string? idNumber, LiveVerification live, VerifyServices services, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var qr = text.Trim();
        if (qr.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || qr.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return await VerifyOnlineAsync(qr, await live.CreateVerifierAsync(null, cancellationToken), services, now, cancellationToken);
        }

        // The id the QR claims lets the key list and that certificate's status be checked in one cache round trip.
        var claimedId = CoseQr.TryReadUnverifiedId(qr, out var id) || OfflineQr.TryReadUnverifiedId(qr, out id) ? id : null;
        var verifier = await live.CreateVerifierAsync(claimedId, cancellationToken);
        var report = await verifier.VerifyQrAsync(qr, now, cancellationToken);
        return idNumber is null
            ? Answer(report)
            : Answer(report) with { HolderBinding = await HolderBindingCheck.CheckAsync(qr, report.Certificate, idNumber, cancellationToken) };
    }

    /// <summary>
    /// The QR text of the usual body, exactly <c>{"qr": "..."}</c> (one member, a string), read in one pass; null for
    /// anything else, which then goes through the full checks and parse (same answers, only slower).
    /// </summary>
    private static string? TryReadQrOnly(byte[] body)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject
                && reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("qr"u8)
                && reader.Read() && reader.TokenType == JsonTokenType.String && reader.GetString() is { } qr
                && reader.Read() && reader.TokenType == JsonTokenType.EndObject
                && !reader.Read())
            {
                return qr;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // malformed: the full path names the problem
        }

        return null;
    }

    private static async Task<VerifyAnswer> VerifyOnlineAsync(string url, CertificateVerifier verifier, VerifyServices services, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (url.Length > 2048 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Segments.Length < 2 || uri.Segments[^2] != "v/")
        {
            return Answer(Fail(now, "not a CertLibrary verification URL"));
        }

        var token = await services.Tokens.FindAsync(uri.Segments[^1], cancellationToken);
        if (token is null)
        {
            return Answer(Fail(now, "unknown verification token"));
        }

        if (token.ExpiresAt <= now)
        {
            return Answer(Fail(now, "verification token expired at " + token.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture))) with { Purpose = token.Purpose };
        }

        var row = await services.Store.FindAsync(token.CertificateId, cancellationToken);
        if (row is null)
        {
            return Answer(Fail(now, "certificate not found"));
        }

        var certificate = services.Certificates.ToCertificate(row, now);
        var report = await verifier.VerifyCertificateJwsAsync(certificate.Signature, now, cancellationToken);
        return Answer(report) with { Purpose = token.Purpose, TokenExpiresAt = token.ExpiresAt };
    }

    private static async Task<IResult> VerifyPageAsync(string token, HttpContext context, [AsParameters] VerifyServices services, CancellationToken cancellationToken)
    {
        var now = services.Time.GetUtcNow();
        var verifier = await services.Live.CreateVerifierAsync(null, cancellationToken);
        var answer = await VerifyOnlineAsync($"{services.Settings.Issuer}/v/{Uri.EscapeDataString(token)}", verifier, services, now, cancellationToken);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Content(RenderPage(answer), "text/html; charset=utf-8");
    }

    private static async Task<byte[]?> ReadCappedAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength > MaxBody)
        {
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = MaxBody + 1;
        }

        // One pooled buffer for the whole body (a QR body is a few hundred bytes); only the result is allocated.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(MaxBody + 1);
        try
        {
            var length = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer.AsMemory(length, MaxBody + 1 - length), cancellationToken)) > 0)
            {
                length += read;
                if (length > MaxBody)
                {
                    return null;
                }
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        catch (BadHttpRequestException)
        {
            return null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int PerMinute(IConfiguration configuration) =>
        int.TryParse(configuration["CERTLIB_VERIFY_PER_MINUTE"], System.Globalization.CultureInfo.InvariantCulture, out var limit) && limit > 0 ? limit : DefaultPerMinute;

    private static VerificationReport Fail(DateTimeOffset now, string reason) => new(VerificationResults.Invalid, [reason], null, now);

    private static VerifyAnswer Answer(VerificationReport report) => new(
        report.Result,
        report.Reasons,
        report.Certificate is { } c ? new MaskedCertificateDto(c.Id, c.TypeCode, c.IssuerCode, c.IssuerName, c.HolderName, c.ValidFrom, c.ValidUntil, c.HolderBinding, c.HolderSalt, c.HolderCreditCode) : null,
        report.CheckedAt);

    private static string RenderPage(VerifyAnswer answer)
    {
        var ok = answer.Result == VerificationResults.Valid;
        var label = answer.Result switch
        {
            VerificationResults.Valid => "有效",
            VerificationResults.Revoked => "无效（已撤销）",
            VerificationResults.Suspended => "无效（已暂停）",
            VerificationResults.Expired => "无效（已过期）",
            VerificationResults.UnknownIssuer => "无效（签发机构未知）",
            _ => "无效",
        };
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>电子证照核验</title><style>body{font-family:sans-serif;margin:2em;max-width:40em}.r{font-size:4em;font-weight:bold;color:")
            .Append(ok ? "#0a7d22" : "#b00020").Append("}dt{color:#555}</style></head><body><h1>电子证照核验结果</h1>")
            .Append("<p class=\"r\" data-result=\"").Append(WebUtility.HtmlEncode(answer.Result)).Append("\">").Append(label).Append("</p>");
        if (answer.Reasons.Count > 0)
        {
            html.Append("<h2>原因</h2><ul>");
            foreach (var reason in answer.Reasons)
            {
                html.Append("<li>").Append(WebUtility.HtmlEncode(reason)).Append("</li>");
            }

            html.Append("</ul>");
        }

        if (answer.Certificate is { } c)
        {
            html.Append("<dl><dt>证照标识</dt><dd>").Append(WebUtility.HtmlEncode(c.Id)).Append("</dd><dt>持证人</dt><dd>").Append(WebUtility.HtmlEncode(c.HolderName));
            if (c.HolderCreditCode is { } creditCode)
            {
                html.Append("</dd><dt>统一社会信用代码</dt><dd>").Append(WebUtility.HtmlEncode(creditCode));
            }

            html.Append("</dd><dt>发证机关</dt><dd>").Append(WebUtility.HtmlEncode(c.IssuerName ?? c.IssuerCode)).Append("</dd><dt>有效期</dt><dd>")
                .Append(c.ValidFrom.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).Append(" 至 ")
                .Append(c.ValidUntil is { } u ? u.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "长期").Append("</dd></dl>");
        }

        if (answer.Purpose is not null)
        {
            html.Append("<p>用途：").Append(WebUtility.HtmlEncode(answer.Purpose)).Append("</p>");
        }

        html.Append("<p>核验时间：").Append(answer.CheckedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)).Append(" UTC</p></body></html>");
        return html.ToString();
    }

    /// <summary>What verification needs (handlers take it with <c>[AsParameters]</c>).</summary>
    public sealed record VerifyServices(
        LiveVerification Live, VerificationTokenStore Tokens, ICertificateStore Store, CertificateManager Certificates,
        Infrastructure.CertLibrarySettings Settings, TimeProvider Time);

    /// <summary>Answer of a verification.</summary>
    public sealed record VerifyAnswer(string Result, IReadOnlyList<string> Reasons, MaskedCertificateDto? Certificate, DateTimeOffset CheckedAt)
    {
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public string? Purpose { get; init; }

        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public DateTimeOffset? TokenExpiresAt { get; init; }

        /// <summary>With <c>idNumber</c> in the request: <c>"match"</c> or <c>"mismatch"</c> against the QR's holder binding.</summary>
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public string? HolderBinding { get; init; }
    }

    /// <summary>Minimal, masked certificate fields; an organisation holder's name unmasked, with its credit code.</summary>
    public sealed record MaskedCertificateDto(
        string Id, string TypeCode, string IssuerCode, string? IssuerName, string HolderName, DateTimeOffset ValidFrom, DateTimeOffset? ValidUntil,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? HolderBinding,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? HolderSalt,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? HolderCreditCode = null);
}
