using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace CertLibrary.Identity;

/// <summary>
/// Runs first for every provider path (<c>/connect/*</c>, <c>/account/*</c>), before OpenIddict and the pages: reads the
/// form within limits fitting OAuth requests and refuses control characters in the form or the query, so a malformed
/// request gets 400 <c>invalid_request</c> (413 when too large) before any handler sees it, instead of an exception from
/// <c>ReadFormAsync</c> (value count, key length, value length) or from the database. Back-channel endpoints answer with
/// the OAuth JSON error (RFC 6749 §5.2); browser endpoints with an error page. Added to the pipeline by a startup filter.
/// </summary>
internal static class ProviderInputFilter
{
    /// <summary>Largest body a provider endpoint reads: its forms carry a few parameters and at most one token.</summary>
    public const int BodyLimit = 64 * 1024;

    private static readonly FormOptions Limits = new()
    {
        ValueCountLimit = 100,
        KeyLengthLimit = 256,
        ValueLengthLimit = BodyLimit,
        MultipartBodyLengthLimit = BodyLimit,
        MultipartHeadersLengthLimit = 4 * 1024,
    };

    /// <summary>Endpoints called by clients rather than browsers: they answer errors as OAuth JSON.</summary>
    private static readonly string[] BackChannelPaths = ["/connect/token", "/connect/userinfo", "/connect/revocation", "/connect/introspect", "/connect/par", "/connect/device"];

    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/connect") && !path.StartsWithSegments("/account") || await CheckAsync(context) is not { } problem)
        {
            await next(context);
            return;
        }

        var answer = BackChannelPaths.Any(p => path.Equals(p, StringComparison.OrdinalIgnoreCase))
            ? OAuthErrors.Error(context, OAuthErrors.InvalidRequest, problem.Description, problem.Status)
            : Pages.Error(context, problem.Zh, problem.Description, problem.Status);
        await answer.ExecuteAsync(context);
    }

    /// <summary>Puts <see cref="InvokeAsync"/> at the very start of the pipeline, ahead of authentication (OpenIddict).</summary>
    internal sealed class StartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(InvokeAsync);
            next(app);
        };
    }

    private static async Task<Refusal?> CheckAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Query.Any(p => HasControlCharacter(p.Key, p.Value)))
        {
            return ControlCharacters;
        }

        if (!request.HasFormContentType)
        {
            return null;
        }

        if (request.ContentLength > BodyLimit)
        {
            return TooLarge;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = BodyLimit;
        }

        // These limits replace the server-wide ones (1,024 values, 2,048-character keys, 4 MB values) for this request.
        context.Features.Set<IFormFeature>(new FormFeature(request, Limits));
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return Malformed;
        }
        catch (BadHttpRequestException e)
        {
            return e.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge : Malformed;
        }

        if (form.Files.Count > 0)
        {
            return Malformed;
        }

        return form.Any(p => HasControlCharacter(p.Key, p.Value)) ? ControlCharacters : null;
    }

    private static bool HasControlCharacter(string key, Microsoft.Extensions.Primitives.StringValues values) =>
        key.Any(char.IsControl) || values.Any(v => v is not null && v.Any(char.IsControl));

    private static readonly Refusal ControlCharacters = new(StatusCodes.Status400BadRequest,
        "请求参数含有控制字符。", "A parameter contains control characters.");

    private static readonly Refusal Malformed = new(StatusCodes.Status400BadRequest,
        "请求格式无效。", $"The form is malformed or exceeds its limits ({Limits.ValueCountLimit} fields, {Limits.KeyLengthLimit}-character names).");

    private static readonly Refusal TooLarge = new(StatusCodes.Status413PayloadTooLarge,
        "请求内容过大。", $"The body exceeds {BodyLimit / 1024} KB.");

    private sealed record Refusal(int Status, string Zh, string Description);
}
